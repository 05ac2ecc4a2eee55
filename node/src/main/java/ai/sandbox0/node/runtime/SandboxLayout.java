package ai.sandbox0.node.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where a node keeps its state: {@code runc/} (runc's --root), {@code net/leases/} (addresses) and
 * {@code sandboxes/<id>/} holding the bundle (config.json, etc/), the overlay's {@code upper/},
 * {@code work/} and mount point {@code rootfs/}, procd's output and the record that lets a restarted
 * node adopt the sandbox; {@code logs/<name>.log}, the end of the container log of a run checkpointed
 * and removed, kept under a name its owner chose.
 */
public record SandboxLayout(Path stateDir) {

    public Path runcRoot() {
        return stateDir.resolve("runc");
    }

    public Path leases() {
        return stateDir.resolve("net").resolve("leases");
    }

    public Path sandboxes() {
        return stateDir.resolve("sandboxes");
    }

    public Path dir(String id) {
        return sandboxes().resolve(id);
    }

    public Path rootfs(String id) {
        return dir(id).resolve("rootfs");
    }

    public Path upper(String id) {
        return dir(id).resolve("upper");
    }

    public Path work(String id) {
        return dir(id).resolve("work");
    }

    public Path output(String id) {
        return dir(id).resolve("procd.log");
    }

    /** Where the ends of checkpointed runs' container logs are kept, one file per sandbox. */
    public Path keptLogs() {
        return stateDir.resolve("logs");
    }

    public Path runcLog(String id) {
        return dir(id).resolve("runc.log");
    }

    public Path pidFile(String id) {
        return dir(id).resolve("init.pid");
    }

    public Path record(String id) {
        return dir(id).resolve("sandbox.json");
    }

    public Bundle bundle(String id) {
        return new Bundle(dir(id));
    }

    /** Ids with a state dir. */
    public List<String> ids() {
        if (!Files.isDirectory(sandboxes())) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(sandboxes())) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
