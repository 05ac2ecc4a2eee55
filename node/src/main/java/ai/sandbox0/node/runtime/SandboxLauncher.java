package ai.sandbox0.node.runtime;

import ai.sandbox0.api.Json;
import ai.sandbox0.node.EmptyDir;
import ai.sandbox0.node.IdMap;
import ai.sandbox0.node.ProcdRuntime;
import ai.sandbox0.node.Sandbox;
import ai.sandbox0.node.egress.EgressPolicy;
import ai.sandbox0.node.SandboxSecurity;
import ai.sandbox0.node.VolumeBind;
import ai.sandbox0.node.layer.Posix;
import ai.sandbox0.node.net.AddressLease;
import ai.sandbox0.node.net.AddressPool;
import ai.sandbox0.node.net.SandboxNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starting one sandbox, as a linear script: dirs → address → network namespace → overlay root →
 * bundle → runc run → procd ready, with the namespace's wiring (veth, addresses, firewall) running
 * beside the overlay, bundle and runc steps. Each step fails with an error naming it; whatever failed, the
 * sandbox's pieces are removed again before the error leaves, so a failed start leaks nothing.
 */
public final class SandboxLauncher {

    private static final Logger log = LoggerFactory.getLogger(SandboxLauncher.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SandboxLayout layout;
    private final Runc runc;
    private final Mounter mounter;
    private final AddressPool addresses;
    private final SandboxNetwork network;
    private final CgroupLayout cgroups;
    private final ProcdRuntime procd;
    private final RuntimeSettings settings;
    private final Teardown teardown;
    private final SandboxDisks disks;
    private final SandboxNamespaces namespaces;
    private final Path skeleton;
    private final SandboxTrust trust;

    public SandboxLauncher(SandboxLayout layout, Runc runc, Mounter mounter, AddressPool addresses,
            SandboxNetwork network, CgroupLayout cgroups, ProcdRuntime procd, RuntimeSettings settings,
            Teardown teardown, SandboxDisks disks, SandboxNamespaces namespaces, SandboxTrust trust) {
        this.trust = trust;
        this.disks = disks;
        this.namespaces = namespaces;
        this.layout = layout;
        this.runc = runc;
        this.mounter = mounter;
        this.addresses = addresses;
        this.network = network;
        this.cgroups = cgroups;
        this.procd = procd;
        this.settings = settings;
        this.teardown = teardown;
        this.skeleton = layout.stateDir().resolve("skeleton").resolve("rootfs");
    }

    public Sandbox launch(SandboxSpec spec) throws SetupException {
        RuntimeSkeleton.ensure(skeleton.getParent());
        String id = spec.id();
        long t0 = System.nanoTime();
        String cgroupPath = settings.cgroupParent() + "/" + id;
        AddressLease lease = null;
        FutureTask<Void> wiring = null;
        try {
            // 1. A fresh disk with the upper and work dir: an earlier run's changes survive only as checkpoint layers.
            List<Path> emptyDirDisks = prepareDirs(id, spec.resources().ephemeralBytes(), spec.emptyDirs());
            long tDirs = System.nanoTime();
            // 2. The sandbox's /31 and, with its slot, its host ids: persisted before anything uses them.
            lease = addresses.allocate(id);
            IdMap ids = settings.ids(lease.slot());
            giveToSandbox(id, ids, emptyDirDisks);
            // 3. Its user namespace and the network namespace that belongs to it; the veth, addresses and
            // firewall entry while the container starts.
            Path netns = network.namespaceFile(lease);
            namespaces.create(ids, layout.userNamespace(id), netns);
            AddressLease wired = lease;
            wiring = new FutureTask<>(() -> {
                network.wire(wired, EgressPolicy.compile(spec.network()));
                return null;
            });
            Thread.ofVirtual().name("wire-" + id).start(wiring);
            long tNet = System.nanoTime();
            // 4. The overlay root: image and checkpoint layers below, seen through the run's id map, and this
            // run's upper dir on top; the volumes beside it, seen through the same map.
            var lowers = new ArrayList<Path>(spec.lowerDirs());
            lowers.add(skeleton);
            mountRoot(id, lowers);
            mountVolumes(id, spec.volumes());
            long tMount = System.nanoTime();
            // 5. config.json and the /etc files.
            String token = newToken();
            Bundle bundle = layout.bundle(id);
            ContainerConfig config = containerConfig(spec, netns, cgroupPath, token, bundle, ids, emptyDirDisks);
            CgroupLimits boosted = config.limits().withStartupBoost(settings.startupCpus());
            // Any resolver a sandbox asks is the node's (the firewall redirects port 53); its gateway is the honest name.
            bundle.write(config.withLimits(boosted), lease.sandboxAddress(), List.of(lease.hostAddress()));
            // 6. runc run --detach: namespaces, mounts, cgroup, seccomp, then exec tini → procd.
            long tBundle = System.nanoTime();
            runc.runDetached(id, bundle.dir(), layout.pidFile(id), layout.output(id), layout.runcLog(id));
            long tStart = System.nanoTime();
            int pid = readPid(id);
            // 7. The network is wired (procd needs none to start), then procd answers over the veth.
            awaitWiring(id, wiring);
            long tWired = System.nanoTime();
            awaitReady(id, lease.sandboxAddress(), pid, cgroupPath);
            if (boosted.cpuShares() != config.limits().cpuShares()) {
                restoreWeight(id, cgroupPath, config.limits());
            }
            if (boosted.boosted(config.limits())) {
                endBoostWhenWarm(id, lease.sandboxAddress(), cgroupPath, config.limits());
            }
            Sandbox sandbox = new Sandbox(id, lease.sandboxAddress(), procd.port(), token, lease.slot(), pid,
                    cgroupPath, Instant.now(), spec);
            writeRecord(sandbox);
            long tReady = System.nanoTime();
            log.info("sandbox {} ready at {} in {} ms (dirs {}, netns {}, mount {}, bundle {}, runc run {}, "
                    + "network wired after {}, procd {})", id, sandbox.procdUrl(), ms(t0, tReady), ms(t0, tDirs),
                    ms(tDirs, tNet), ms(tNet, tMount), ms(tMount, tBundle), ms(tBundle, tStart), ms(tStart, tWired),
                    ms(tWired, tReady));
            return sandbox;
        } catch (SetupException | RuntimeException e) {
            log.warn("sandbox {} failed to start: {}", id, e.getMessage());
            if (wiring != null) {
                try {
                    awaitWiring(id, wiring); // the teardown below must not race the wiring
                } catch (SetupException superseded) {
                    // the failure being handled is the one to report
                }
            }
            try {
                teardown.remove(id, lease == null ? -1 : lease.slot(), false);
            } catch (SetupException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private static void awaitWiring(String id, FutureTask<Void> wiring) throws SetupException {
        try {
            wiring.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SetupException setup) {
                throw setup;
            }
            throw new SetupException(Step.CONFIGURE_NETNS, id + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SetupException(Step.CONFIGURE_NETNS, id + ": interrupted");
        }
    }

    /**
     * The run's state dir, and a fresh disk for its writable layer and log (an earlier start's goes); returns
     * the disks of its empty dirs, in order.
     */
    private List<Path> prepareDirs(String id, long diskBytes, List<EmptyDir> emptyDirs) throws SetupException {
        try {
            Files.createDirectories(layout.dir(id));
            Optional<Path> earlier = SandboxDisks.of(layout, id);
            if (earlier.isPresent()) {
                disks.release(earlier.get());
            }
            disks.releaseEmptyDirs(layout, id);
            SandboxDisks.link(layout.disk(id), disks.take(diskBytes));
            var emptyDirDisks = new ArrayList<Path>(emptyDirs.size());
            for (int i = 0; i < emptyDirs.size(); i++) {
                Path disk = disks.take(emptyDirs.get(i).bytes());
                Path data = Files.createDirectories(SandboxDisks.emptyDirData(disk));
                Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxrwxrwx"));
                SandboxDisks.link(layout.emptyDir(id, i), disk);
                emptyDirDisks.add(disk);
            }
            Files.createDirectories(layout.upper(id));
            Files.createDirectories(layout.work(id));
            Files.createDirectories(layout.rootfs(id));
            Files.deleteIfExists(layout.runcLog(id));
            Files.deleteIfExists(layout.pidFile(id));
            Files.deleteIfExists(layout.record(id));
            return emptyDirDisks;
        } catch (IOException e) {
            throw new SetupException(Step.PREPARE_DIRS, id + ": " + e.getMessage(), e);
        }
    }

    /**
     * The run's writable places become its root's: the upper and work dir (overlay creates files there with
     * the writer's host ids) and the empty dirs. Recorded on the disk for the checkpoint that shifts them back.
     */
    private void giveToSandbox(String id, IdMap ids, List<Path> emptyDirDisks) throws SetupException {
        int root = (int) ids.hostBase();
        try {
            // runc mounts the root, the /etc files and the empty dirs from inside the user namespace: its
            // root must pass through the run's dir (and no other sandbox may: root and the run's group only).
            Posix.lchown(layout.dir(id), 0, root);
            Files.setPosixFilePermissions(layout.dir(id), PosixFilePermissions.fromString("rwx--x---"));
            Posix.lchown(layout.upper(id), root, root);
            Posix.lchown(layout.work(id), root, root);
            // Its processes may write to PID 1's output (/proc/1/fd/1), as containers' logging does.
            if (!Files.exists(layout.output(id))) {
                Files.createFile(layout.output(id));
            }
            Posix.lchown(layout.output(id), root, root);
            for (Path disk : emptyDirDisks) {
                Posix.lchown(disk, 0, root);
                Files.setPosixFilePermissions(disk, PosixFilePermissions.fromString("rwx--x---"));
                Posix.lchown(SandboxDisks.emptyDirData(disk), root, root);
            }
            RunIds.write(layout, id, ids);
        } catch (IOException e) {
            throw new SetupException(Step.PREPARE_DIRS, id + ": cannot hand the disk to ids " + ids + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Attaches each lower dir idmapped (files owned by 0 on disk show as the run's root) under the run's dir and
     * mounts the overlay on them. They stay attached for the run (teardown unmounts everything under the run's
     * dir): an unmount waits for an RCU grace period, which a start should not.
     */
    private void mountRoot(String id, List<Path> lowers) throws SetupException {
        var mapped = new ArrayList<Path>(lowers.size());
        try {
            for (int i = 0; i < lowers.size(); i++) {
                Path target = layout.lowerMount(id, i);
                Files.createDirectories(target);
                mounter.bindIdmapped(lowers.get(i), target, layout.userNamespace(id));
                mapped.add(target);
            }
            mounter.mountOverlay(mapped, layout.upper(id), layout.work(id), layout.rootfs(id));
        } catch (SetupException e) {
            throw e;
        } catch (IOException e) {
            throw new SetupException(Step.MOUNT_ROOTFS, id + ": " + e.getMessage(), e);
        }
    }

    /**
     * Attaches each volume idmapped under the run's dir, writable unless it is read-only, for runc to bind in at
     * its path (runc creates that path in the root when the image lacks it). A volume is not part of the overlay:
     * what is written there never reaches the upper dir, so no checkpoint holds it. Teardown unmounts it with
     * everything else under the run's dir.
     */
    private void mountVolumes(String id, List<VolumeBind> volumes) throws SetupException {
        for (int i = 0; i < volumes.size(); i++) {
            VolumeBind volume = volumes.get(i);
            Path target = layout.volumeMount(id, i);
            try {
                if (!Files.isDirectory(volume.source(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    throw new SetupException(Step.MOUNT_VOLUME, id + ": " + volume.mountPath() + ": " + volume.source()
                            + " is not a directory");
                }
                Files.createDirectories(target);
                mounter.bindIdmapped(volume.source(), target, layout.userNamespace(id), volume.readOnly());
            } catch (SetupException e) {
                throw e.step() == Step.MOUNT_VOLUME ? e
                        : new SetupException(Step.MOUNT_VOLUME, id + ": " + volume.mountPath() + ": " + e.getMessage(), e);
            } catch (IOException e) {
                throw new SetupException(Step.MOUNT_VOLUME, id + ": " + volume.mountPath() + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Whether {@code path} names a directory of the image reached without a symbolic link: the node resolves it
     * on the host (a bind mount's source), where an image's link to {@code /} would mean the host's root.
     */
    static boolean plainDirectory(Path rootfs, String path) {
        if (!path.startsWith("/") || path.equals("/")) {
            return false;
        }
        Path at = rootfs;
        for (String part : path.substring(1).split("/")) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                return false;
            }
            at = at.resolve(part);
            if (!Files.isDirectory(at, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
        }
        return true;
    }

    ContainerConfig containerConfig(SandboxSpec spec, Path netns, String cgroupPath, String token, Bundle bundle,
            IdMap ids, List<Path> emptyDirDisks) throws SetupException {
        var env = new HashMap<String, String>(trust.env());
        env.putAll(spec.env());
        env.putAll(procd.env(token));
        SandboxSecurity security = spec.security();
        Path rootfs = layout.rootfs(spec.id());
        String home = home(rootfs, security.uid());
        var mounts = new ArrayList<OciMount>(procd.mounts());
        mounts.addAll(bundle.etcMounts());
        try {
            mounts.add(trust.write(bundle.dir().resolve("netd"), rootfs));
        } catch (IOException e) {
            throw new SetupException(Step.WRITE_BUNDLE, spec.id() + ": the egress CA files: " + e.getMessage(), e);
        }
        if (security.readOnlyRoot()) {
            // What stays writable under a read-only root: /tmp and procd's working directory (the workspace).
            mounts.add(OciMount.writableBind(rootfs.resolve("tmp"), "/tmp"));
            if (!home.equals("/tmp") && plainDirectory(rootfs, home)) {
                mounts.add(OciMount.writableBind(rootfs.resolve(home.substring(1)), home));
            }
        }
        mounts.addAll(spec.mounts());
        for (int i = 0; i < spec.emptyDirs().size(); i++) {
            mounts.add(OciMount.writableBind(SandboxDisks.emptyDirData(emptyDirDisks.get(i)),
                    spec.emptyDirs().get(i).mountPath()));
        }
        // Last: a volume wins over every other mount at or above its path.
        for (int i = 0; i < spec.volumes().size(); i++) {
            VolumeBind volume = spec.volumes().get(i);
            Path attached = layout.volumeMount(spec.id(), i);
            mounts.add(volume.readOnly() ? OciMount.readOnlyBind(attached, volume.mountPath())
                    : OciMount.writableBind(attached, volume.mountPath()));
        }
        var caps = new CapabilitySet(security.capabilities(CapabilitySet.SANDBOX_DEFAULT));
        return new ContainerConfig(spec.hostname(), rootfs, procd.args(home), env, home, netns,
                cgroupPath, CgroupLimits.of(spec.resources(), cgroups), security.seccomp() ? SeccompProfile.defaults() : null,
                caps, mounts, security, ids, layout.userNamespace(spec.id()));
    }

    /**
     * procd's working directory and {@code HOME}: {@code /root} for root; for another user its home in the
     * image's {@code /etc/passwd} when that directory exists, else {@code /tmp}, which every user may write.
     */
    static String home(Path rootfs, long uid) {
        if (uid == 0) {
            return "/root";
        }
        Path passwd = rootfs.resolve("etc/passwd");
        // Read on the host: an image's /etc or passwd that is a link must not lead to a host file.
        if (!plainDirectory(rootfs, "/etc") || !Files.isRegularFile(passwd, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return "/tmp";
        }
        try {
            for (String line : Files.readAllLines(passwd)) {
                String[] f = line.split(":", -1);
                if (f.length >= 6 && f[2].equals(Long.toString(uid)) && plainDirectory(rootfs, f[5])) {
                    return Path.of(f[5]).normalize().toString();
                }
            }
        } catch (IOException | RuntimeException e) {
            // no readable passwd: the fallback below
        }
        return "/tmp";
    }

    private void awaitReady(String id, String address, int pid, String cgroupPath) throws SetupException {
        long start = System.nanoTime();
        long deadline = start + settings.readyTimeout().toNanos();
        while (true) {
            if (ProcdProbe.listening(address, procd.port(), 500)) {
                return;
            }
            if (!alive(pid)) {
                boolean oom = cgroups.oomKills(cgroupPath).orElse(0L) > 0;
                throw new SandboxStartException(id, Diagnosis.ofStopped(layout.output(id), oom));
            }
            if (System.nanoTime() > deadline) {
                boolean oom = cgroups.oomKills(cgroupPath).orElse(0L) > 0;
                throw new SandboxStartException(id, new Diagnosis.NotReady(
                        (System.nanoTime() - start) / 1_000_000, oom, Diagnosis.tail(layout.output(id), 20)));
            }
            try {
                Thread.sleep(READY_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SetupException(Step.WAIT_READY, id + ": interrupted");
            }
        }
    }

    /**
     * procd serves before it has warmed its request path up (an interpreted first request costs tens
     * of milliseconds of CPU, several times that at a small quota); the sandbox keeps its startup CPU
     * until procd says it is warm, at most {@value #WARM_UP_BUDGET_MILLIS} ms, then gets its quota. In the background: the caller has
     * its sandbox already.
     */
    private void endBoostWhenWarm(String id, String address, String cgroupPath, CgroupLimits limits) {
        Thread.ofVirtual().name("boost-" + id).start(() -> {
            long deadline = System.nanoTime() + WARM_UP_BUDGET_MILLIS * 1_000_000L;
            long pause = FIRST_WARM_POLL_MILLIS;
            do {
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                pause = WARM_POLL_MILLIS;
            } while (System.nanoTime() < deadline && !ProcdProbe.warm(address, procd.port(), 200));
            try {
                endBoost(id, cgroupPath, limits);
            } catch (SetupException e) {
                log.debug("sandbox {}: quota not applied (gone already?): {}", id, e.getMessage());
            }
        });
    }

    /** A refused connect costs the host microseconds and procd nothing: poll finely, it is on the claim's path. */
    private static final long READY_POLL_MILLIS = 1;
    static final long WARM_UP_BUDGET_MILLIS = 3_000;
    /**
     * Every poll is an HTTP exchange procd pays for in CPU while it starts: not too often, and not before
     * procd can be warm (its own warm-up begins 50 ms after it serves), when a cold claim's first
     * command is on its way and needs the CPU.
     */
    private static final long FIRST_WARM_POLL_MILLIS = 50, WARM_POLL_MILLIS = 25;

    /** Ready: the sandbox weighs what its template says from its first command on. */
    private void restoreWeight(String id, String cgroupPath, CgroupLimits limits) throws SetupException {
        try {
            cgroups.setCpuShares(cgroupPath, limits.cpuShares());
        } catch (IOException e) {
            throw new SetupException(Step.WAIT_READY, id + ": cannot set the CPU weight after start: " + e.getMessage(), e);
        }
    }

    private void endBoost(String id, String cgroupPath, CgroupLimits limits) throws SetupException {
        try {
            cgroups.setCpuQuota(cgroupPath, limits.cpuQuota(), limits.cpuPeriod());
        } catch (IOException e) {
            throw new SetupException(Step.WAIT_READY, id + ": cannot set the CPU quota after start: " + e.getMessage(), e);
        }
    }

    /** A live, non-zombie process. */
    static boolean alive(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && stat.length() > close + 2 && stat.charAt(close + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    private int readPid(String id) throws SetupException {
        try {
            return Integer.parseInt(Files.readString(layout.pidFile(id)).strip());
        } catch (IOException | NumberFormatException e) {
            throw new SetupException(Step.RUNC_RUN, id + ": no pid file: " + e.getMessage(), e);
        }
    }

    /** The run's record, which a restarted node adopts it by. */
    void writeRecord(Sandbox sandbox) throws SetupException {
        Path target = layout.record(sandbox.id());
        Path tmp = target.resolveSibling("sandbox.json.tmp");
        try {
            // It holds the procd token: owner-only.
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, Json.write(sandbox));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new SetupException(Step.WRITE_BUNDLE, sandbox.id() + ": cannot write record: " + e.getMessage(), e);
        }
    }

    private static long ms(long from, long to) {
        return (to - from) / 1_000_000;
    }

    static String newToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
