package ai.sandbox0.node.runtime;

import ai.sandbox0.node.net.AddressPool;
import ai.sandbox0.node.net.SandboxNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Removing a sandbox's pieces from the host, in the reverse order of the launch: container and cgroup,
 * overlay mount, network, address, state dir. Every step runs even when an earlier one failed, every
 * step tolerates a piece that is already gone (so it serves failed starts, stops and reconcile alike),
 * and the first failure is thrown at the end with the others suppressed.
 */
public final class Teardown {

    private final SandboxLayout layout;
    private final Runc runc;
    private final Mounter mounter;
    private final MountTable mounts;
    private final AddressPool addresses;
    private final SandboxNetwork network;
    private final CgroupLayout cgroups;
    private final String cgroupParent;
    private final SandboxDisks disks;

    public Teardown(SandboxLayout layout, Runc runc, Mounter mounter, MountTable mounts, AddressPool addresses,
            SandboxNetwork network, CgroupLayout cgroups, String cgroupParent, SandboxDisks disks) {
        this.disks = disks;
        this.layout = layout;
        this.runc = runc;
        this.mounter = mounter;
        this.mounts = mounts;
        this.addresses = addresses;
        this.network = network;
        this.cgroups = cgroups;
        this.cgroupParent = cgroupParent;
    }

    /**
     * @param slot the sandbox's address slot, or -1 when unknown (then the lease file decides)
     * @param keepUpper keep the upper dir (and the state dir around it) for a checkpoint
     */
    public void remove(String id, int slot, boolean keepUpper) throws SetupException {
        var errors = new ArrayList<SetupException>();
        // Kill and delete in one: --force sends SIGKILL to every process and removes the cgroup.
        try {
            runc.delete(id, true);
        } catch (RuncException e) {
            if (!e.notFound()) {
                errors.add(e);
            }
        } catch (SetupException e) {
            errors.add(e);
        }
        run(errors, () -> removeCgroups(id));
        run(errors, () -> unmountAll(layout.dir(id)));
        int s = slot >= 0 ? slot : addresses.leaseOf(id).map(l -> l.slot()).orElse(-1);
        run(errors, () -> network.detach(id, s));
        run(errors, () -> addresses.release(id));
        run(errors, () -> removeState(id, keepUpper));
        if (!errors.isEmpty()) {
            SetupException first = errors.getFirst();
            errors.subList(1, errors.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    /** SIGKILL to every process in the sandbox's cgroup (no fork: a signal per process listed). */
    public void killProcesses(String id) throws SetupException {
        Path procs = cgroups.procs(cgroupParent + "/" + id);
        try {
            killAll(procs);
        } catch (IOException e) {
            throw new SetupException(Step.RUNC_KILL, id + ": " + e.getMessage(), e);
        }
    }

    /** Leftover cgroup dirs (a crashed runc never deleted them): kill what is inside, then rmdir. */
    void removeCgroups(String id) throws SetupException {
        String path = cgroupParent + "/" + id;
        List<Path> dirs = cgroups.dirs(path);
        for (Path dir : dirs) {
            try {
                killAll(dir.resolve("cgroup.procs"));
                rmdirWithRetry(dir);
            } catch (IOException e) {
                throw new SetupException(Step.REMOVE_CGROUP, dir + ": " + e.getMessage(), e);
            }
        }
    }

    private static void killAll(Path procs) throws IOException {
        if (!Files.exists(procs)) {
            return;
        }
        for (String line : Files.readAllLines(procs)) {
            if (!line.isBlank()) {
                ProcessHandle.of(Long.parseLong(line.strip())).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    private static void rmdirWithRetry(Path dir) throws IOException {
        // A killed task leaves its cgroup a few milliseconds after the signal.
        for (int i = 0; ; i++) {
            try {
                Files.deleteIfExists(dir);
                return;
            } catch (IOException e) {
                if (i >= 100) {
                    throw e;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private void unmountAll(Path dir) throws SetupException {
        try {
            for (Path mp : mounts.mountPointsUnder(dir)) {
                mounter.unmount(mp);
            }
        } catch (IOException e) {
            throw new SetupException(Step.UNMOUNT_ROOTFS, dir + ": " + e.getMessage(), e);
        }
    }

    private void removeState(String id, boolean keepUpper) throws SetupException {
        Path dir = layout.dir(id);
        try {
            if (!mounts.mountPointsUnder(dir).isEmpty()) {
                // Deleting through a live mount would delete the sandbox's (or worse, a bind's) files.
                throw new SetupException(Step.UNMOUNT_ROOTFS, dir + " still has mounts; not deleting it");
            }
            disks.releaseEmptyDirs(layout, id); // scratch: never kept, not even for a checkpoint
            if (keepUpper) {
                Trees.delete(layout.work(id));
                Trees.delete(layout.rootfs(id));
                Files.deleteIfExists(layout.record(id));
                Files.deleteIfExists(layout.pidFile(id));
            } else {
                Optional<Path> disk = SandboxDisks.of(layout, id);
                Trees.delete(dir); // the link goes with it; the disk is nobody's now
                disk.ifPresent(disks::releaseLater);
            }
        } catch (SetupException e) {
            throw e;
        } catch (IOException e) {
            throw new SetupException(Step.PREPARE_DIRS, dir + ": " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    private interface Action {
        void run() throws SetupException;
    }

    private static void run(List<SetupException> errors, Action a) {
        try {
            a.run();
        } catch (SetupException e) {
            errors.add(e);
        }
    }
}
