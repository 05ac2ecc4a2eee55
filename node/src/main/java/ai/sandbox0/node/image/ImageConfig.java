package ai.sandbox0.node.image;

import java.util.List;

/** What of an OCI image config a sandbox needs: its environment, working dir, user and default command. */
public record ImageConfig(List<String> env, String workingDir, String user, List<String> entrypoint, List<String> cmd) {

    public ImageConfig {
        env = env == null ? List.of() : List.copyOf(env);
        workingDir = workingDir == null || workingDir.isEmpty() ? "/" : workingDir;
        user = user == null ? "" : user;
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        cmd = cmd == null ? List.of() : List.copyOf(cmd);
    }
}
