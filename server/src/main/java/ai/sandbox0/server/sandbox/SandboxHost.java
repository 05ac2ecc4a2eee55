package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.server.procd.ProcdEndpoint;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Everything the sandbox lifecycle needs from the host that runs sandboxes: start a run of a layer
 * chain, hand out a warm one, checkpoint a run into a new chain, destroy it, and keep templates' warm
 * pools. The local node is one implementation ({@link LocalSandboxHost}); a node agent on another
 * machine will be the next, so nothing here is a local path or an object that cannot cross a process
 * boundary: runs are named by id, roots are content-addressed chains, procd is an address and a token.
 *
 * <p>Every method fails with {@link HostFailure}; none leaves a half-started run behind. Thread-safe.
 */
public interface SandboxHost {

    /** A run of a sandbox: the host's id for it and where its procd answers. */
    record Run(String runId, ProcdEndpoint procd) {
    }

    /**
     * A sandbox volume a run mounts, by id: the host resolves it to its own storage. Files keep the owners they
     * have in the volume, whichever sandbox or host-side API wrote them.
     */
    record VolumeMount(String volumeId, String mountPoint, boolean readOnly) {
    }

    /** The layers of the template's image (building or pulling it the first time). */
    LayerChain imageChain(SandboxTemplateSpec spec);

    /**
     * Starts run {@code runId} on {@code chain} with {@code volumes} mounted; returns once its procd answers with
     * the environment applied. A volume that cannot be mounted fails the start.
     */
    Run start(String runId, SandboxTemplateSpec spec, SandboxConfig config, LayerChain chain, List<VolumeMount> volumes);

    /**
     * A ready run from the pool's idle ones with the environment applied; empty when it has none. Idle runs have
     * no volumes: a claim with mounts starts cold.
     */
    Optional<Run> claimWarm(String poolId, SandboxTemplateSpec spec, SandboxConfig config);

    /**
     * Stops the run and returns the chain it started from with the run's changes on top (never what it wrote to
     * its volumes: they stay in the volumes); the run is gone afterwards and the end of its log is kept as the
     * sandbox's previous log. When this fails,
     * the run's changes stay on the host and a later call for the same run tries again.
     */
    LayerChain checkpoint(String runId, String sandboxId);

    /** Removes the run and everything it had on the host. Idempotent: an unknown run is already gone. */
    void destroy(String runId);

    /**
     * Stops every process of the run at once (no teardown: {@link #destroy} does that later), so nothing of
     * a deleted sandbox runs on while its pieces are removed. Idempotent.
     */
    void kill(String runId);

    /** The run if it is alive on the host. */
    Optional<Run> run(String runId);

    default boolean alive(String runId) {
        return run(runId).isPresent();
    }

    /**
     * Puts {@code policy} (the effective one: template's and sandbox's merged) in force on the run at once: its next
     * packet and connection see it, and open connections it denies are cut.
     */
    void applyNetwork(Run run, SandboxNetworkPolicy policy);

    /** Template env &lt; sandbox env, for every process the run starts from now on. */
    void applyEnv(Run run, SandboxTemplateSpec spec, SandboxConfig config);

    /** Drops what the host kept of a deleted sandbox (its previous log). */
    void forget(String sandboxId);

    /** Creates or resizes a template's warm pool, started from the template's image. */
    void configurePool(String poolId, SandboxTemplateSpec spec, int minIdle, int maxIdle);

    void removePool(String poolId);

    int idleCount(String poolId);

    /**
     * Layer garbage collection: deletes the stored layers that no chain in {@code referenced} (nor an
     * image) uses and that were written more than {@code grace} ago; returns how many went.
     */
    int collectLayers(Collection<LayerChain> referenced, Duration grace);
}
