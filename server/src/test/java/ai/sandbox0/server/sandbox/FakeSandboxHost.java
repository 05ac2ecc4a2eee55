package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.node.Digest;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.LayerDescriptor;
import ai.sandbox0.server.procd.ProcdEndpoint;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link SandboxHost} in memory, for the lifecycle's tests: runs are entries, a checkpoint puts one
 * layer named after the run on top of the chain the run started from. Any step can be made to fail
 * ({@link #failing}) or to "crash" the server ({@link #crashing}: an {@link Error}, which nothing in
 * the lifecycle catches, so the store is left as a kill -9 at that moment would leave it). A run can
 * die ({@link #kill}) and keep its changes for a checkpoint, as a real run's upper dir stays on disk.
 */
final class FakeSandboxHost implements SandboxHost {

    enum Step { IMAGE, START, CLAIM_WARM, CHECKPOINT, DESTROY, APPLY_ENV }

    /** A kill -9 of the server in the middle of a host call. */
    static final class Crash extends Error {
        Crash(Step step) {
            super("crash during " + step);
        }
    }

    static final LayerChain IMAGE = LayerChain.of(layer("image"));

    final Set<Step> failing = ConcurrentHashMap.newKeySet();
    final Set<Step> crashing = ConcurrentHashMap.newKeySet();
    /** Runs alive now. */
    final Map<String, Run> alive = new ConcurrentHashMap<>();
    /** Every run not yet checkpointed or destroyed, alive or dead, with the chain it started from. */
    final Map<String, LayerChain> onHost = new ConcurrentHashMap<>();
    final Map<String, Deque<String>> idle = new ConcurrentHashMap<>();
    final Set<String> keptLogs = ConcurrentHashMap.newKeySet();
    final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
    /** The volumes each run started with. */
    final Map<String, List<VolumeMount>> mounted = new ConcurrentHashMap<>();
    volatile Collection<LayerChain> lastReferenced = List.of();

    /** The layer a checkpoint of {@code runId} adds. */
    static LayerDescriptor layer(String name) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return new LayerDescriptor(Digest.parse("sha256:" + HexFormat.of().formatHex(d)), null, 1,
                    LayerDescriptor.TAR_ZSTD);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Puts an idle run in the pool, as a refill would. */
    void addIdle(String poolId, String runId) {
        onHost.put(runId, IMAGE);
        alive.put(runId, newRun(runId));
        idle.computeIfAbsent(poolId, k -> new ArrayDeque<>()).add(runId);
    }

    /** The run's processes die; its changes stay on the host. */
    @Override
    public void kill(String runId) {
        calls.add("KILL");
        alive.remove(runId);
    }

    private void step(Step step) {
        calls.add(step.name());
        if (crashing.contains(step)) {
            throw new Crash(step);
        }
        if (failing.contains(step)) {
            throw new HostFailure(step.name().toLowerCase() + " failed (injected)");
        }
    }

    private static Run newRun(String runId) {
        return new Run(runId, new ProcdEndpoint(URI.create("http://127.0.0.1:1"), "token-" + runId));
    }

    @Override
    public LayerChain imageChain(SandboxTemplateSpec spec) {
        step(Step.IMAGE);
        return IMAGE;
    }

    @Override
    public Run start(String runId, SandboxTemplateSpec spec, SandboxConfig config, LayerChain chain,
            List<VolumeMount> volumes) {
        step(Step.START);
        mounted.put(runId, List.copyOf(volumes));
        if (alive.containsKey(runId)) {
            throw new IllegalStateException("run " + runId + " is already running");
        }
        onHost.put(runId, chain);
        networks.put(runId, ai.sandbox0.server.network.NetworkPolicies.effective(spec.network(),
                config == null ? null : config.network()));
        Run run = newRun(runId);
        alive.put(runId, run);
        return run;
    }

    @Override
    public Optional<Run> claimWarm(String poolId, SandboxTemplateSpec spec, SandboxConfig config) {
        step(Step.CLAIM_WARM);
        Deque<String> ids = idle.get(poolId);
        String id = ids == null ? null : ids.poll();
        return id == null ? Optional.empty() : Optional.of(alive.get(id));
    }

    @Override
    public LayerChain checkpoint(String runId, String sandboxId) {
        LayerChain base = onHost.get(runId);
        if (base == null) {
            throw new HostFailure("run " + runId + " is not on this host");
        }
        alive.remove(runId); // stopped first, as the node does
        step(Step.CHECKPOINT);
        onHost.remove(runId);
        keptLogs.add(sandboxId);
        return base.plus(layer(runId));
    }

    @Override
    public void destroy(String runId) {
        step(Step.DESTROY);
        alive.remove(runId);
        onHost.remove(runId);
    }

    @Override
    public Optional<Run> run(String runId) {
        return Optional.ofNullable(alive.get(runId));
    }

    @Override
    public void applyNetwork(Run run, ai.sandbox0.api.network.SandboxNetworkPolicy policy) {
        networks.put(run.runId(), policy);
    }

    /** The last policy applied to each run. */
    final Map<String, ai.sandbox0.api.network.SandboxNetworkPolicy> networks = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public void applyEnv(Run run, SandboxTemplateSpec spec, SandboxConfig config) {
        step(Step.APPLY_ENV);
    }

    @Override
    public void forget(String sandboxId) {
        keptLogs.remove(sandboxId);
    }

    @Override
    public void configurePool(String poolId, SandboxTemplateSpec spec, int minIdle, int maxIdle) {
    }

    @Override
    public void removePool(String poolId) {
        idle.remove(poolId);
    }

    @Override
    public int idleCount(String poolId) {
        Deque<String> ids = idle.get(poolId);
        return ids == null ? 0 : ids.size();
    }

    @Override
    public int collectLayers(Collection<LayerChain> referenced, Duration grace) {
        lastReferenced = List.copyOf(referenced);
        return 0;
    }
}
