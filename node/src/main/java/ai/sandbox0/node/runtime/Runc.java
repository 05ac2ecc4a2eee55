package ai.sandbox0.node.runtime;

import ai.sandbox0.api.Json;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The OCI runtime binary (runc; runsc or crun take the same commands) with its state under the node's
 * own {@code --root}, so containers of another node or of Docker on the same host are never touched.
 * Every failure is a {@link RuncException} naming the step and carrying runc's stderr.
 */
public final class Runc {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Path binary;
    private final Path root;

    public Runc(Path binary, Path root) {
        this.binary = binary;
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /**
     * {@code runc run --detach}: creates the container and starts its init in one call; runc exits once
     * init runs. The container's output goes to {@code output}, runc's own complaints to {@code runcLog}.
     */
    public void runDetached(String id, Path bundle, Path pidFile, Path output, Path runcLog) throws SetupException {
        List<String> argv = base(runcLog);
        argv.addAll(List.of("run", "--detach", "--bundle", bundle.toString(), "--pid-file", pidFile.toString(), id));
        ProcessBuilder pb = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                .redirectErrorStream(true);
        try {
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new SetupException(Step.RUNC_RUN, id + ": runc run timed out");
            }
            if (p.exitValue() != 0) {
                throw new RuncException(Step.RUNC_RUN, id, p.exitValue(), lastError(runcLog, output));
            }
        } catch (IOException e) {
            if (e instanceof SetupException se) {
                throw se;
            }
            throw new SetupException(Step.RUNC_RUN, id + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SetupException(Step.RUNC_RUN, id + ": interrupted", e);
        }
    }

    /** The container's state, or empty when runc does not know it. */
    public Optional<ContainerState> state(String id) throws SetupException {
        HostCommand.Result r = exec(Step.RUNC_STATE, id, List.of("state", id));
        if (!r.ok()) {
            if (r.stderr().contains("does not exist") || r.stderr().contains("not exist")) {
                return Optional.empty();
            }
            throw new RuncException(Step.RUNC_STATE, id, r.exitCode(), r.stderr());
        }
        try {
            return Optional.of(Json.mapper().readValue(r.stdout(), ContainerState.class));
        } catch (IOException e) {
            throw new SetupException(Step.RUNC_STATE, id + ": unreadable state: " + e.getMessage(), e);
        }
    }

    public List<ContainerState> list() throws SetupException {
        HostCommand.Result r = exec(Step.RUNC_LIST, "*", List.of("list", "--format", "json"));
        if (!r.ok()) {
            throw new RuncException(Step.RUNC_LIST, "*", r.exitCode(), r.stderr());
        }
        String out = r.stdout().strip();
        if (out.isEmpty() || out.equals("null")) {
            return List.of();
        }
        try {
            return Json.mapper().readValue(out, new TypeReference<List<ContainerState>>() { });
        } catch (IOException e) {
            throw new SetupException(Step.RUNC_LIST, "unreadable list: " + e.getMessage(), e);
        }
    }

    public void kill(String id, String signal, boolean all) throws SetupException {
        if (all) {
            call(Step.RUNC_KILL, id, "kill", "--all", id, signal);
        } else {
            call(Step.RUNC_KILL, id, "kill", id, signal);
        }
    }

    /** Kills whatever still runs (with {@code force}) and removes the container and its cgroup. */
    public void delete(String id, boolean force) throws SetupException {
        if (force) {
            call(Step.RUNC_DELETE, id, "delete", "--force", id);
        } else {
            call(Step.RUNC_DELETE, id, "delete", id);
        }
    }

    /** {@code runc run} in the foreground: the floor the benchmark compares starts with. */
    public int run(String id, Path bundle) throws SetupException {
        HostCommand.Result r = exec(Step.RUNC_RUN, id, List.of("run", "--bundle", bundle.toString(), id));
        return r.exitCode();
    }

    /** Runs a command in the running container with its own hardening (caps, seccomp, cgroup). */
    public ExecResult exec(String id, List<String> command, Map<String, String> env, Duration timeout)
            throws SetupException {
        var args = new ArrayList<String>(List.of("exec"));
        env.forEach((k, v) -> args.addAll(List.of("--env", k + "=" + v)));
        args.add(id);
        args.addAll(command);
        List<String> argv = base(null);
        argv.addAll(args);
        try {
            HostCommand.Result r = HostCommand.run(argv, null, timeout);
            return new ExecResult(r.exitCode(), r.stdout(), r.stderr());
        } catch (IOException e) {
            throw new SetupException(Step.RUNC_EXEC, id + ": " + e.getMessage(), e);
        }
    }

    private void call(Step step, String id, String... args) throws SetupException {
        HostCommand.Result r = exec(step, id, List.of(args));
        if (!r.ok()) {
            throw new RuncException(step, id, r.exitCode(), r.stderr());
        }
    }

    private HostCommand.Result exec(Step step, String id, List<String> args) throws SetupException {
        List<String> argv = base(null);
        argv.addAll(args);
        try {
            return HostCommand.run(argv, null, TIMEOUT);
        } catch (IOException e) {
            throw new SetupException(step, id + ": " + e.getMessage(), e);
        }
    }

    private List<String> base(Path log) {
        var argv = new ArrayList<String>(List.of(binary.toString(), "--root", root.toString()));
        if (log != null) {
            argv.addAll(List.of("--log", log.toString(), "--log-format", "json"));
        }
        return argv;
    }

    /**
     * runc's error messages, from its JSON log, oldest first (in a user namespace the real reason, such as a
     * mount source it cannot open, comes before the generic "can't get final child's PID"); else the tail of
     * the container output.
     */
    static String lastError(Path runcLog, Path output) {
        try {
            if (Files.exists(runcLog)) {
                var messages = new java.util.LinkedHashSet<String>();
                for (String line : Files.readAllLines(runcLog)) {
                    if (line.contains("\"level\":\"error\"") || line.contains("\"level\":\"fatal\"")) {
                        Map<?, ?> m = Json.mapper().readValue(line, Map.class);
                        messages.add(String.valueOf(m.get("msg")));
                    }
                }
                if (!messages.isEmpty()) {
                    return String.join("; ", messages);
                }
            }
            return Diagnosis.tail(output, 10);
        } catch (IOException e) {
            return "(no runc log: " + e.getMessage() + ")";
        }
    }
}
