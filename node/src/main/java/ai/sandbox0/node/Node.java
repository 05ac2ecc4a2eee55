package ai.sandbox0.node;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.node.egress.EgressPlane;
import ai.sandbox0.node.egress.EgressPolicy;
import ai.sandbox0.node.egress.EgressProxy;
import ai.sandbox0.node.egress.MitmAuthority;
import ai.sandbox0.node.egress.SshHostKey;
import ai.sandbox0.node.runtime.SandboxTrust;
import ai.sandbox0.node.egress.PlatformRules;
import ai.sandbox0.node.blob.BlobStore;
import ai.sandbox0.node.image.NodeStorage;
import ai.sandbox0.node.net.AddressLease;
import ai.sandbox0.node.net.AddressPool;
import ai.sandbox0.node.net.Firewall;
import ai.sandbox0.node.net.FirewallRules;
import ai.sandbox0.node.net.LinuxNetwork;
import ai.sandbox0.node.net.NetworkNames;
import ai.sandbox0.node.net.SandboxNetwork;
import ai.sandbox0.node.pool.Claim;
import ai.sandbox0.node.pool.PoolSpec;
import ai.sandbox0.node.pool.SandboxFactory;
import ai.sandbox0.node.pool.WarmPool;
import ai.sandbox0.node.pool.WarmPools;
import ai.sandbox0.node.reconcile.Reconciler;
import ai.sandbox0.node.runtime.CgroupLayout;
import ai.sandbox0.node.runtime.ExecResult;
import ai.sandbox0.node.runtime.LogRotation;
import ai.sandbox0.node.runtime.MountTable;
import ai.sandbox0.node.runtime.ProcdInstaller;
import ai.sandbox0.node.runtime.Runc;
import ai.sandbox0.node.runtime.RunIds;
import ai.sandbox0.node.runtime.RuntimeSettings;
import ai.sandbox0.node.runtime.SandboxDisks;
import ai.sandbox0.node.runtime.SandboxLauncher;
import ai.sandbox0.node.runtime.SandboxLayout;
import ai.sandbox0.node.runtime.SandboxNamespaces;
import ai.sandbox0.node.runtime.SandboxRuntime;
import ai.sandbox0.node.runtime.SandboxSpec;
import ai.sandbox0.node.runtime.SetupException;
import ai.sandbox0.node.runtime.Step;
import ai.sandbox0.node.runtime.SyscallMounter;
import ai.sandbox0.node.runtime.Teardown;
import ai.sandbox0.node.runtime.Trees;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One host's sandbox runtime: what the server calls. {@link #open} reconciles with what an earlier run
 * left (adopting the sandboxes the caller expects, removing the rest); then sandboxes are started
 * cold ({@link #start}) or claimed from a template's warm pool ({@link #claim}), stopped (keeping the
 * rootfs changes for a checkpoint) or destroyed.
 *
 * <p>Thread-safe. Starts run on the caller's thread and are bounded by the {@link StartGate}
 * together with pool refills, which run on virtual threads.
 */
public final class Node implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Node.class);

    private final NodeConfig config;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ExecutorService executor;
    private final SandboxNetwork network;
    private final EgressPlane egress;
    private final AddressPool addresses;
    private final SandboxRuntime runtime;
    private final WarmPools pools;
    private final SandboxDisks disks;
    private final Thread logRotation;
    private final StartGate starts;
    private final CgroupLayout cgroups;
    private final ReconcileReport reconcileReport;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final NodeStorage storage;
    /** Closed with the node when the node opened it (see {@link #open(NodeConfig, Path, Set)}). */
    private final AutoCloseable ownedStorage;
    private final LayerLeases leases;
    private final KeptLogs keptLogs;

    private Node(NodeConfig requested, NodeStorage storage, AutoCloseable ownedStorage, Set<String> expected)
            throws IOException {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.ownedStorage = ownedStorage;
        this.leases = new LayerLeases(storage);
        requested.procd().verify();
        Files.createDirectories(requested.stateDir());
        // One node per state dir: a second one would tear down the first one's sandboxes.
        lockChannel = FileChannel.open(requested.stateDir().resolve("node.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        lock = lockChannel.tryLock();
        if (lock == null) {
            lockChannel.close();
            throw new SetupException(Step.RECONCILE, "state dir " + requested.stateDir() + " is in use by another node");
        }
        try {
            // procd with its AOT cache, recorded for the paths sandboxes see.
            var procd = new ProcdInstaller(requested.unshare(), requested.ldd())
                    .install(requested.procd(), requested.stateDir().resolve("procd"));
            NodeConfig config = requested.withProcd(procd);
            this.config = config;
            SandboxLayout layout = new SandboxLayout(config.stateDir());
            keptLogs = new KeptLogs(layout.keptLogs());
            Files.createDirectories(layout.sandboxes());
            Files.createDirectories(layout.runcRoot());
            // A sandbox's root (an unprivileged host id) passes through to its own run dir; nothing lists them.
            refuseUnsearchableAncestors(config.stateDir());
            for (Path d : List.of(config.stateDir(), layout.sandboxes())) {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx--x--x"));
            }
            Files.createDirectories(layout.keptLogs());
            for (Path d : List.of(layout.runcRoot(), layout.keptLogs())) {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
            }
            NetworkNames names = new NetworkNames(config.name());
            NodeConfig.HostPaths host = config.host();
            cgroups = CgroupLayout.detect(host.cgroupRoot());
            addresses = new AddressPool(config.addressPool(), layout.leases());
            var platform = new PlatformRules(config.privateRanges(), config.addressPool().toString());
            // The CA inspected TLS is terminated under: the installation's own, kept in the state dir.
            var authority = MitmAuthority.loadOrCreate(config.stateDir().resolve("egress"));
            // The SSH host key ssh_proxy sessions are shown, kept beside the CA; sandboxes trust it by its public line.
            var sshHostKey = SshHostKey.loadOrCreate(config.stateDir().resolve("egress"));
            log.info("egress: ssh_proxy host key {} ({})", sshHostKey.fingerprint(),
                    config.stateDir().resolve("egress").resolve("ssh-proxy-host-key.pub"));
            var inspection = new EgressProxy.Inspection(authority, config.egressTrustedCaFile() == null ? List.of()
                    : EgressProxy.Inspection.readCertificates(config.egressTrustedCaFile()), sshHostKey);
            egress = EgressPlane.start(platform, config.nameservers(), inspection);
            Firewall firewall = new Firewall(config.nft(),
                    new FirewallRules(names, config.addressPool(), platform, egress.proxyPort(), egress.dnsPort()));
            network = new LinuxNetwork(config.ip(), host.netnsDir(), host.sysClassNet(), host.ipForward(), names, firewall,
                    egress.policies());
            Runc runc = new Runc(config.runtime(), layout.runcRoot());
            var mounter = new SyscallMounter();
            var mounts = new MountTable(host.procMounts());
            executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("node-" + config.name() + "-", 0)
                    .uncaughtExceptionHandler((t, e) -> log.error("uncaught in {}", t.getName(), e)).factory());
            disks = new SandboxDisks(layout.disks(), mounter, mounts, config.spareDisks(), executor);
            var teardown = new Teardown(layout, runc, mounter, mounts, addresses, network, cgroups, config.cgroupParent(),
                    disks);
            var settings = new RuntimeSettings(config.cgroupParent(), config.readyTimeout(),
                    Runtime.getRuntime().availableProcessors(), config.firstHostId());
            var launcher = new SandboxLauncher(layout, runc, mounter, addresses, network, cgroups, config.procd(),
                    settings, teardown, disks, new SandboxNamespaces(config.unshare(), mounter),
                    new SandboxTrust(authority.certificatePem()));
            runtime = new SandboxRuntime(layout, runc, launcher, teardown, network, addresses);

            network.refuseOverlaps(config.addressPool());
            // Reconcile first, then install the firewall table with the adopted sandboxes' policies.
            var reconciler = new Reconciler(layout, runc, mounts, addresses, network, names, cgroups,
                    config.cgroupParent(), teardown, config.ip());
            Reconciler.Result result = reconciler.reconcile(expected);
            var adopted = new LinkedHashMap<AddressLease, EgressPolicy>();
            for (Sandbox s : result.adopted()) {
                adopted.put(addresses.leaseOf(s.id()).orElseThrow(), EgressPolicy.compile(s.spec().network()));
            }
            network.installHostRules(adopted);
            result.adopted().forEach(runtime::adopt);
            reconcileReport = result.report();
            for (Sandbox s : result.adopted()) {
                Optional<SandboxRootfs> rootfs = SandboxRootfs.read(chainFile(s.id()));
                if (rootfs.isPresent()) {
                    leases.acquire(s.id(), rootfs.get().chain());
                }
            }
            removeUnusedProcdInstalls(layout, procd, result.adopted());
            // Disks of the runs left (adopted, or lost with changes to checkpoint) stay; the rest go.
            var inUse = new HashSet<Path>();
            for (String id : layout.ids()) {
                SandboxDisks.of(layout, id).ifPresent(inUse::add);
                inUse.addAll(SandboxDisks.emptyDirsOf(layout, id));
            }
            disks.reconcile(inUse);

            pools = new WarmPools(new RuntimeFactory(), new StartGate(config.starts().concurrent(), config.starts().maxWait()), executor);
            logRotation = Thread.ofVirtual().name("node-" + config.name() + "-logs").start(() -> rotateLogs(layout));
            starts = pools.starts();
        } catch (IOException | RuntimeException e) {
            lock.release();
            lockChannel.close();
            leases.close();
            throw e;
        }
    }

    /** Once a second, every run's container log over the cap is rotated (see {@link LogRotation}). */
    private void rotateLogs(SandboxLayout layout) {
        while (!closed.get()) {
            try {
                Thread.sleep(LOG_CHECK_INTERVAL);
            } catch (InterruptedException e) {
                return;
            }
            for (Sandbox s : runtime.list()) {
                try {
                    if (LogRotation.rotateIfOver(layout.output(s.id()), config.logCapBytes())) {
                        log.info("sandbox {}: container log rotated past {} bytes", s.id(), config.logCapBytes());
                    }
                } catch (IOException | RuntimeException e) {
                    log.debug("sandbox {}: log not rotated: {}", s.id(), e.getMessage());
                }
            }
        }
    }

    private static final Duration LOG_CHECK_INTERVAL = Duration.ofSeconds(1);

    /** procd installs of earlier jars that no adopted sandbox has mounted. */
    private static void removeUnusedProcdInstalls(SandboxLayout layout, ProcdRuntime current, List<Sandbox> adopted)
            throws IOException {
        var inUse = new HashSet<Path>(List.of(current.procdDir()));
        for (Sandbox s : adopted) {
            var mounts = Json.mapper().readTree(layout.bundle(s.id()).configJson().toFile()).path("mounts");
            mounts.forEach(m -> {
                if (ProcdRuntime.PROCD_DIR.equals(m.path("destination").asText())) {
                    inUse.add(Path.of(m.path("source").asText()));
                }
            });
        }
        Path installs = current.procdDir().getParent();
        try (var dirs = Files.list(installs)) {
            for (Path dir : dirs.filter(Files::isDirectory).filter(d -> !inUse.contains(d)).toList()) {
                Trees.delete(dir);
                log.info("removed unused procd install {}", dir);
            }
        }
    }

    /**
     * Opens the node on this host over the layer storage under {@code storageDir} (opened here and
     * closed with the node), and reconciles.
     *
     * @param hostImageCache where built images are shared by every node of the host
     * @param expectedRunning the sandbox ids the caller's store says are running on this node; they
     *     are adopted if still alive, everything else this node's earlier runs left is removed
     */
    public static Node open(NodeConfig config, Path storageDir, Path hostImageCache, Set<String> expectedRunning)
            throws IOException {
        return open(config, storageDir, null, hostImageCache, expectedRunning);
    }

    /**
     * Like {@link #open(NodeConfig, Path, Path, Set)}, with every layer blob (images and checkpoints) in
     * {@code blobs} instead of {@code <storageDir>/blobs} (null: there). Extracted layers, overlay dirs
     * and the image index stay under {@code storageDir}. The caller owns {@code blobs} and closes it
     * after the node.
     */
    public static Node open(NodeConfig config, Path storageDir, BlobStore blobs, Path hostImageCache,
            Set<String> expectedRunning) throws IOException {
        NodeStorage storage = NodeStorage.open(storageDir, blobs, hostImageCache, Path.of("/usr/sbin/debootstrap"),
                RegistryCredentials.ANONYMOUS, Set.of());
        try {
            return new Node(config, storage, storage, Set.copyOf(expectedRunning));
        } catch (IOException | RuntimeException e) {
            storage.close();
            throw e;
        }
    }

    /** Like {@link #open(NodeConfig, Path, Path, Set)} over storage the caller owns and closes after the node. */
    public static Node open(NodeConfig config, NodeStorage storage, Set<String> expectedRunning) throws IOException {
        return new Node(config, storage, null, Set.copyOf(expectedRunning));
    }

    /** The egress data plane: the proxy and resolver every sandbox's traffic goes through, and their hooks. */
    public EgressPlane egress() {
        return egress;
    }

    public NodeConfig config() {
        return config;
    }

    public ReconcileReport reconcileReport() {
        return reconcileReport;
    }

    /** Who may start a sandbox now: what the host's metrics report of its starts. */
    public StartGate starts() {
        return starts;
    }

    /** Starts a sandbox cold and returns once its procd answers. On failure nothing is left behind. */
    public Sandbox start(SandboxSpec spec) throws SetupException {
        StartGate.Permit permit;
        try {
            permit = starts.enter(StartGate.Priority.CALLER);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SetupException(Step.ADMIT, spec.id() + ": interrupted while waiting to start");
        }
        try (permit) {
            return startRecordingChain(spec);
        }
    }

    private Sandbox startRecordingChain(SandboxSpec spec) throws SetupException {
        Sandbox sandbox = runtime.start(spec);
        Optional<LayerChain> chain = leases.chainOf(spec.lowerDirs());
        if (chain.isPresent()) {
            try {
                // The sandbox holds its own lease: its layers stay extracted after a pool lets go of them.
                leases.acquire(spec.id(), chain.get());
                SandboxRootfs.of(chain.get()).write(chainFile(spec.id()));
            } catch (IOException e) {
                releaseLayers(spec.id());
                runtime.destroy(spec.id());
                throw new SetupException(Step.WRITE_BUNDLE, spec.id() + ": cannot record its layer chain: " + e.getMessage(), e);
            }
        }
        return sandbox;
    }

    /**
     * Starts a sandbox whose root is {@code chain} (image layers, then checkpoint layers, lowest first),
     * extracted from the node's storage if needed and held until the sandbox is stopped.
     */
    public Sandbox start(String id, LayerChain chain, Resources resources, NetworkMode mode, Map<String, String> env)
            throws IOException {
        return start(id, chain, resources, mode, env, List.of());
    }

    /** Like {@link #start(String, LayerChain, Resources, NetworkMode, Map)}, with empty dirs mounted in. */
    public Sandbox start(String id, LayerChain chain, Resources resources, NetworkMode mode, Map<String, String> env,
            List<EmptyDir> emptyDirs) throws IOException {
        return start(id, chain, resources, mode, env, emptyDirs, SandboxSecurity.DEFAULT);
    }

    /** Like {@link #start(String, LayerChain, Resources, NetworkMode, Map, List)}, its processes run as {@code security} says. */
    public Sandbox start(String id, LayerChain chain, Resources resources, NetworkMode mode, Map<String, String> env,
            List<EmptyDir> emptyDirs, SandboxSecurity security) throws IOException {
        return start(id, chain, resources, SandboxSpec.policyOf(mode), env, emptyDirs, security, List.of());
    }

    /** Like {@link #start(String, LayerChain, Resources, NetworkMode, Map, List, SandboxSecurity)}, with volumes. */
    public Sandbox start(String id, LayerChain chain, Resources resources, NetworkMode mode, Map<String, String> env,
            List<EmptyDir> emptyDirs, SandboxSecurity security, List<VolumeBind> volumes) throws IOException {
        return start(id, chain, resources, SandboxSpec.policyOf(mode), env, emptyDirs, security, volumes);
    }

    /**
     * Like {@link #start(String, LayerChain, Resources, NetworkMode, Map, List, SandboxSecurity)}, with a whole
     * network policy (null: allow-all) and volumes bound in through the run's id map. A volume is never part of the
     * rootfs: {@link #checkpoint} leaves it out.
     */
    public Sandbox start(String id, LayerChain chain, Resources resources, SandboxNetworkPolicy network,
            Map<String, String> env, List<EmptyDir> emptyDirs, SandboxSecurity security, List<VolumeBind> volumes)
            throws IOException {
        List<Path> dirs = layerDirs(id, chain);
        try {
            return start(new SandboxSpec(id, dirs, resources, network, env, List.of(), emptyDirs, security, volumes));
        } catch (IOException | RuntimeException e) {
            releaseLayers(id);
            throw e;
        }
    }

    /**
     * Pause's first half: stops the sandbox (if it runs), turns its upper dir into a layer on top of
     * the chain it started from (squashing when the chain gets deep), and removes the sandbox from this
     * node. Returns the new chain, the same one when the run changed nothing. Also works for a sandbox
     * that reconcile reported lost: its upper dir was kept for this.
     */
    public LayerChain checkpoint(String id) throws IOException {
        return checkpoint(id, null);
    }

    /**
     * Stops the run, stores its changes as a layer on top of its chain and removes the run; the end of
     * its container log stays under {@code keepLogAs} (see {@link #keptLog}) when that is not null.
     */
    public LayerChain checkpoint(String id, String keepLogAs) throws IOException {
        LayerChain base = SandboxRootfs.read(chainFile(id))
                .orElseThrow(() -> new SetupException(Step.CHECKPOINT, id + ": not started from a layer chain on this node"))
                .chain();
        runtime.stop(id);
        releaseLayers(id);
        LayerChain next;
        try {
            next = storage.checkpoint(base, runtime.upperDir(id), SandboxRootfs.RUNTIME_PATHS,
                    RunIds.read(runtime.layout(), id));
        } catch (IOException e) {
            throw new SetupException(Step.CHECKPOINT, id + ": " + e.getMessage(), e);
        }
        if (keepLogAs != null) {
            keptLogs.keep(new SandboxLayout(config.stateDir()).output(id), keepLogAs);
        }
        runtime.destroy(id);
        log.info("sandbox {} checkpointed: chain depth {} → {}", id, base.depth(), next.depth());
        return next;
    }

    /** A log kept by {@link #checkpoint(String, String)} (may not exist). */
    public Path keptLog(String name) {
        return keptLogs.path(name);
    }

    public void forgetKeptLog(String name) {
        keptLogs.forget(name);
    }

    /**
     * The extracted dirs of {@code chain} (lowest first), kept extracted for {@code holder} until
     * {@link #releaseLayers}: e.g. a warm pool's template chain, for its {@link PoolSpec} prototype.
     */
    public List<Path> layerDirs(String holder, LayerChain chain) throws IOException {
        return leases.acquire(holder, chain);
    }

    public void releaseLayers(String holder) {
        leases.release(holder);
    }

    /** The layers of an image, building (the builtin default) or pulling it the first time. */
    public LayerChain imageChain(String reference, Consumer<String> progress) throws IOException {
        return storage.images().resolve(reference, p -> progress.accept(p.toString())).chain();
    }

    /**
     * One pass of layer garbage collection: blobs that no chain in {@code referenced} and no image
     * uses, written more than {@code grace} ago (a checkpoint may have stored one and not yet
     * recorded its chain), are deleted; extracted layers unused for {@code grace} leave the cache.
     * Returns how many blobs went.
     */
    public int collectLayers(Collection<LayerChain> referenced, Duration grace) throws IOException {
        int deleted = storage.collect(referenced, Instant.now().minus(grace)).size();
        storage.layers().gc(grace);
        return deleted;
    }

    private Path chainFile(String id) {
        return config.stateDir().resolve("sandboxes").resolve(id).resolve("chain.json");
    }

    /** Kills the sandbox and unmounts its root; its upper dir stays for {@link #upperDir} / a checkpoint. */
    public void stop(String id) throws SetupException {
        runtime.stop(id);
        releaseLayers(id);
    }

    /** Kills every process of the sandbox at once; {@link #destroy} removes the rest later. */
    public void kill(String id) throws SetupException {
        runtime.kill(id);
    }

    /** Stops the sandbox and removes everything it had on this node. */
    public void destroy(String id) throws SetupException {
        runtime.destroy(id);
        releaseLayers(id);
    }

    /** What the sandbox's PID 1 (tini, procd) wrote: the container log of the run. Gone with the run. */
    public Path procdLog(String id) {
        return new SandboxLayout(config.stateDir()).output(id);
    }

    /**
     * runc mounts a sandbox's root from inside its user namespace, as an unprivileged host id: every directory
     * above the state dir must let others pass (a state dir under {@code /root}, mode 0700, cannot work).
     */
    private static void refuseUnsearchableAncestors(Path stateDir) throws IOException {
        for (Path d = stateDir.toRealPath().getParent(); d != null; d = d.getParent()) {
            if (!Files.getPosixFilePermissions(d).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new SetupException(Step.PREPARE_DIRS, "the state dir " + stateDir + " is below " + d
                        + ", which others may not search (mode " + PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(d)) + "): sandboxes run as unprivileged host ids and could"
                        + " not reach their root; choose a data dir elsewhere (such as /var/lib/sandbox0)");
            }
        }
    }

    /** The rootfs changes of the sandbox's last run (valid after {@link #stop}), for the layer exporter. */
    public Path upperDir(String id) {
        return runtime.upperDir(id);
    }

    public Optional<Sandbox> sandbox(String id) {
        return runtime.get(id);
    }

    /** Every sandbox this node runs, idle pool ones included. */
    public Collection<Sandbox> sandboxes() {
        return runtime.list();
    }

    /** Switches a running sandbox's egress between allow-all and block-all. */
    /**
     * Puts the sandbox's network policy in force at once (its next packet and connection see it; open connections
     * the new policy denies are cut) and records it with the run.
     */
    public Sandbox setNetworkPolicy(String id, SandboxNetworkPolicy policy) throws SetupException {
        return runtime.setNetworkPolicy(id, policy);
    }

    /** Runs a command in the sandbox with its own limits (runc exec): for diagnostics and tests. */
    public ExecResult exec(String id, List<String> command, Duration timeout) throws SetupException {
        return runtime.exec(id, command, timeout);
    }

    /** Creates or updates a template's warm pool. */
    public WarmPool configurePool(PoolSpec spec) {
        return pools.configure(spec);
    }

    /**
     * Creates or resizes the warm pool {@code poolId} of sandboxes started on {@code chain}; its layers
     * stay extracted until {@link #removePool}.
     */
    public void configurePool(String poolId, LayerChain chain, Resources resources, SandboxNetworkPolicy network,
            List<EmptyDir> emptyDirs, SandboxSecurity security, int minIdle, int maxIdle) throws IOException {
        List<Path> dirs = layerDirs(POOL_HOLDER + poolId, chain);
        var prototype = new SandboxSpec(poolId, dirs, resources, network, Map.of(), List.of(), emptyDirs, security,
                List.of());
        pools.configure(PoolSpec.of(poolId, prototype, minIdle, maxIdle));
    }

    /**
     * An idle sandbox of the pool, ready; empty when the pool does not exist or has none idle (the
     * caller starts one cold then, from the chain it knows).
     */
    public Optional<Sandbox> claimIdle(String poolId) throws SetupException {
        Optional<WarmPool> pool = pools.get(poolId);
        if (pool.isEmpty() || pool.get().idleCount() == 0) {
            return Optional.empty();
        }
        return Optional.of(pool.get().claim().sandbox());
    }

    public int idleCount(String poolId) {
        return pools.get(poolId).map(WarmPool::idleCount).orElse(0);
    }

    public Optional<WarmPool> pool(String templateId) {
        return pools.get(templateId);
    }

    /** A ready sandbox of the template: from its warm pool, or started now when the pool is empty. */
    public Claim claim(String templateId) throws SetupException {
        return pools.claim(templateId);
    }

    /** The template is gone: its idle sandboxes are destroyed, claimed ones keep running. */
    public void removePool(String templateId) {
        pools.remove(templateId);
        releaseLayers(POOL_HOLDER + templateId);
    }

    private static final String POOL_HOLDER = "pool:";

    /** The cgroup layout runc uses here (v1 or v2). */
    public CgroupLayout cgroups() {
        return cgroups;
    }

    /**
     * Closes the pools (their idle sandboxes are destroyed) and releases the state dir. Claimed and
     * started sandboxes keep running: the next {@link #open} adopts them if the caller still expects them.
     * When none is left, the node's firewall table and cgroup parents go too: nothing waits for them.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        logRotation.interrupt();
        pools.close();
        disks.close(); // stops refills; the spare disks go, the disks of runs stay
        executor.close(); // waits for pool starts and disk refills in flight, so the check below sees them
        if (runtime.list().isEmpty()) {
            removeHostState();
        }
        leases.close();
        egress.close();
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            log.warn("node {}: could not release the state dir lock: {}", config.name(), e.getMessage());
        }
        if (ownedStorage != null) {
            try {
                ownedStorage.close();
            } catch (Exception e) {
                log.warn("node {}: could not close its layer storage: {}", config.name(), e.getMessage());
            }
        }
    }

    /** Destroys every sandbox, removes the firewall table and closes: nothing of this node stays on the host. */
    public void shutdown() throws SetupException {
        pools.close();
        SetupException first = null;
        // Every run with state here: running ones, and stopped or lost ones keeping changes (and a disk).
        var ids = new LinkedHashSet<String>();
        runtime.list().forEach(s -> ids.add(s.id()));
        ids.addAll(new SandboxLayout(config.stateDir()).ids());
        for (String id : ids) {
            try {
                destroy(id);
            } catch (SetupException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        try {
            network.removeHostRules();
        } catch (SetupException e) {
            if (first == null) {
                first = e;
            } else {
                first.addSuppressed(e);
            }
        }
        removeCgroupParents();
        close();
        if (first != null) {
            throw first;
        }
    }

    /** The firewall table and cgroup parents, once no sandbox of this node runs. Best effort. */
    private void removeHostState() {
        try {
            network.removeHostRules();
        } catch (SetupException e) {
            log.warn("node {}: firewall table not removed: {}", config.name(), e.getMessage());
        }
        removeCgroupParents();
    }

    private void removeCgroupParents() {
        for (Path dir : cgroups.dirs(config.cgroupParent())) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                log.warn("node {}: cgroup {} not removed: {}", config.name(), dir, e.getMessage());
            }
        }
    }

    /** Pools start and destroy through the same runtime (and its start bound) as everyone else. */
    private final class RuntimeFactory implements SandboxFactory {
        @Override
        public Sandbox start(SandboxSpec spec) throws SetupException {
            return startRecordingChain(spec);
        }

        @Override
        public void destroy(String id) throws SetupException {
            Node.this.destroy(id);
        }

        @Override
        public boolean alive(Sandbox sandbox) {
            return runtime.alive(sandbox);
        }
    }
}
