package ai.sandbox0.node.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where a node keeps its state: {@code runc/} (runc's --root), {@code net/leases/} (addresses) and
 * {@code sandboxes/<id>/} holding the bundle (config.json, etc/), the overlay's mount point
 * {@code rootfs/}, the record that lets a restarted node adopt the sandbox and {@code disk}, a link to
 * the run's disk in {@code disks/} with the overlay's {@code upper/} and {@code work/} and procd's output; {@code logs/<name>.log}, the end of the container log of a run checkpointed
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

    /** A link to the run's own disk (see {@link SandboxDisks}): its upper and work dirs and its log. */
    public Path disk(String id) {
        return dir(id).resolve("disk");
    }

    public Path upper(String id) {
        return disk(id).resolve("upper");
    }

    public Path work(String id) {
        return disk(id).resolve("work");
    }

    /**
     * The host ids the run's upper dir is written with (see {@link RunIds}): on the disk, beside the upper
     * dir whose files it explains.
     */
    public Path idMapFile(String id) {
        return disk(id).resolve("ids");
    }

    /** The bind-mounted user namespace of the run (runc joins it). */
    public Path userNamespace(String id) {
        return dir(id).resolve("userns");
    }

    /** Where the run's {@code index}th root layer is attached, idmapped, while its overlay is mounted. */
    public Path lowerMount(String id, int index) {
        return dir(id).resolve("lower").resolve(Integer.toString(index));
    }

    /** Where the run's {@code index}th volume is attached, idmapped, for runc to bind into the sandbox. */
    public Path volumeMount(String id, int index) {
        return dir(id).resolve("volume").resolve(Integer.toString(index));
    }

    public Path output(String id) {
        return disk(id).resolve("procd.log");
    }

    /** A link to the disk of the run's {@code index}th empty dir. */
    public Path emptyDir(String id, int index) {
        return dir(id).resolve("empty-" + index);
    }

    /** The disks of runs and the spares ({@link SandboxDisks}). */
    public Path disks() {
        return stateDir.resolve("disks");
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
