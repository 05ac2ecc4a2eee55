package ai.sandbox0.server;

import java.nio.file.Files;
import java.nio.file.Path;

/** Whether this host can run sandboxes, and if not, the first reason a user can act on. */
final class SandboxHostCheck {

    private SandboxHostCheck() {
    }

    /** Null when sandboxes can run; otherwise what is missing. */
    static String problem(ServerConfig.Sandboxes sandboxes) {
        if (!System.getProperty("os.name").toLowerCase().startsWith("linux")) {
            return "sandboxes need Linux";
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return "sandboxes need root (namespaces, cgroups, overlay mounts): run s0 server as root";
        }
        if (sandboxes.procdDir() == null || !Files.isRegularFile(sandboxes.procdDir().resolve("procd.jar"))) {
            return "procd.jar is missing from " + sandboxes.procdDir() + " (rebuild the distribution)";
        }
        for (Path binary : new Path[] {sandboxes.runtime(), Path.of("/usr/bin/tini-static"), Path.of("/usr/sbin/ip"),
                Path.of("/usr/sbin/nft"), Path.of("/usr/sbin/debootstrap")}) {
            if (!Files.isExecutable(binary)) {
                return binary + " is missing (s0 host --install installs it)";
            }
        }
        return null;
    }
}
