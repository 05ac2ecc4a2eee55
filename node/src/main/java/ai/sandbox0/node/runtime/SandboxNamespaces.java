package ai.sandbox0.node.runtime;

import ai.sandbox0.node.IdMap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A run's user namespace and the network namespace it owns, made together by one short-lived
 * {@code unshare --user --net cat}: the node writes the id map, bind-mounts both namespaces to files
 * (runc joins them by path) and lets the process go. The network namespace must belong to the sandbox's
 * user namespace, or the kernel refuses the sandbox its own {@code /sys}.
 */
public final class SandboxNamespaces {

    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final Path unshare;
    private final Mounter mounter;

    public SandboxNamespaces(Path unshare, Mounter mounter) {
        this.unshare = unshare;
        this.mounter = mounter;
    }

    /** Creates both namespaces, kept by bind mounts on {@code userNsFile} and {@code netNsFile}. */
    public void create(IdMap ids, Path userNsFile, Path netNsFile) throws SetupException {
        Process holder;
        try {
            createTarget(userNsFile);
            createTarget(netNsFile);
            holder = new ProcessBuilder(unshare.toString(), "--user", "--net", "cat")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            throw new SetupException(Step.CREATE_NETNS, "cannot start " + unshare + ": " + e.getMessage(), e);
        }
        try {
            Path proc = Path.of("/proc", Long.toString(holder.pid()));
            awaitUnshared(holder, proc);
            Files.writeString(proc.resolve("uid_map"), ids.procMapLine());
            Files.writeString(proc.resolve("gid_map"), ids.procMapLine());
            mounter.bind(proc.resolve("ns/user"), userNsFile);
            mounter.bind(proc.resolve("ns/net"), netNsFile);
        } catch (IOException e) {
            throw new SetupException(Step.CREATE_NETNS, "cannot map ids " + ids + ": " + e.getMessage(), e);
        } finally {
            try {
                holder.getOutputStream().close(); // cat ends; the mounts keep the namespaces
            } catch (IOException e) {
                holder.destroyForcibly();
            }
        }
    }

    private static void createTarget(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        if (!Files.exists(file)) {
            Files.createFile(file);
        }
    }

    /** Until the holder has left the node's namespaces (it then execs cat, which waits on its stdin). */
    private void awaitUnshared(Process holder, Path proc) throws IOException, SetupException {
        String ownUser = Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString();
        String ownNet = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (true) {
            try {
                if (!Files.readSymbolicLink(proc.resolve("ns/user")).toString().equals(ownUser)
                        && !Files.readSymbolicLink(proc.resolve("ns/net")).toString().equals(ownNet)) {
                    return;
                }
            } catch (IOException gone) {
                // exited already: reported below
            }
            if (!holder.isAlive()) {
                String why = new String(holder.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                throw new SetupException(Step.CREATE_NETNS, String.join(" ", unshare.toString(), "--user", "--net")
                        + " exited with " + holder.exitValue() + " before creating the namespaces: " + why.strip());
            }
            if (System.nanoTime() > deadline) {
                holder.destroyForcibly();
                throw new SetupException(Step.CREATE_NETNS, unshare + " did not create the namespaces in 5 s");
            }
            LockSupport.parkNanos(100_000);
        }
    }
}
