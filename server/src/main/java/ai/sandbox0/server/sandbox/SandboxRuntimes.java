package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.template.EnvVar;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.node.Node;
import ai.sandbox0.node.image.Image;
import ai.sandbox0.node.image.NodeStorage;
import ai.sandbox0.node.layer.LayerChain;
import ai.sandbox0.node.pool.Claim;
import ai.sandbox0.node.pool.PoolSpec;
import ai.sandbox0.node.runtime.Resources;
import ai.sandbox0.node.runtime.Sandbox;
import ai.sandbox0.node.runtime.SandboxSpec;
import ai.sandbox0.node.runtime.SetupException;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.procd.ProcdClient;
import ai.sandbox0.server.procd.ProcdEndpoint;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's side of the node runtime: runs a sandbox's rootfs chain (cold, or warm from its
 * template's pool), turns a run's changes into a checkpoint layer, and keeps each run's environment
 * (template &lt; sandbox) in its procd.
 */
public final class SandboxRuntimes {

    private static final Logger LOG = LoggerFactory.getLogger(SandboxRuntimes.class);
    private final Node node;
    private final NodeStorage storage;
    private final ProcdClient procd;

    public SandboxRuntimes(Node node, NodeStorage storage, ProcdClient procd) {
        this.node = node;
        this.storage = storage;
        this.procd = procd;
    }

    /** A run of a sandbox: the node's id for it and its procd. */
    public record Run(String nodeId, ProcdEndpoint procd) {
    }

    /** The node's layer storage (blobs, extracted layers, images). */
    public NodeStorage storage() {
        return storage;
    }

    /** The layers of the template's image (building or pulling it the first time). */
    public LayerChain imageChain(SandboxTemplateSpec spec) {
        String reference = spec.mainContainer().image();
        try {
            Image image = storage.images().resolve(reference, progress -> LOG.info("image {}: {}", reference, progress));
            return image.chain();
        } catch (IOException | RuntimeException e) {
            throw ApiException.unavailable("image " + reference + " is not available: " + e.getMessage());
        }
    }

    /** Starts a run of {@code chain} for a sandbox; returns once its procd answers, with the env applied. */
    public Run start(String nodeId, SandboxTemplateSpec spec, SandboxConfig config, LayerChain chain) {
        Sandbox sandbox;
        try {
            sandbox = node.start(nodeId, chain, resources(spec), networkMode(spec, config), Map.of());
        } catch (IOException e) {
            throw ApiException.unavailable("sandbox could not start: " + e.getMessage());
        }
        Run run = runOf(sandbox);
        try {
            applyEnvToFreshRun(run, spec, config);
        } catch (RuntimeException e) {
            destroy(nodeId);
            throw e;
        }
        return run;
    }

    /** A ready sandbox from the template's warm pool, when it has one; empty when it is empty. */
    public Optional<Run> claimWarm(String poolId, SandboxTemplateSpec spec, SandboxConfig config) {
        if (node.pool(poolId).map(p -> p.idleCount() == 0).orElse(true)) {
            return Optional.empty();
        }
        Claim claim;
        try {
            claim = node.claim(poolId);
        } catch (SetupException e) {
            return Optional.empty();
        }
        Sandbox sandbox = claim.sandbox();
        Run run = runOf(sandbox);
        try {
            applyEnvToFreshRun(run, spec, config);
            NetworkMode mode = networkMode(spec, config);
            if (mode != sandbox.networkMode()) {
                node.setNetworkMode(sandbox.id(), mode);
            }
        } catch (SetupException | RuntimeException e) {
            destroy(sandbox.id());
            throw e instanceof ApiException api ? api : ApiException.unavailable("sandbox could not start: " + e.getMessage());
        }
        return Optional.of(run);
    }

    /**
     * Stops the run and returns the chain it started from with the run's changes on top (squashed past
     * the configured depth); the run is gone afterwards. Nothing is lost if this fails midway: the upper
     * dir stays on disk until a checkpoint of it succeeds, and works for a run a crash left behind. The
     * end of the run's container log is kept as the sandbox's {@code previous} log.
     */
    public LayerChain checkpoint(String nodeId, String sandboxId) {
        try {
            return node.checkpoint(nodeId, sandboxId);
        } catch (IOException e) {
            throw new IllegalStateException("checkpoint of " + nodeId + " failed: " + e.getMessage(), e);
        }
    }

    /** Removes the run and everything it had on the node. Idempotent. */
    public void destroy(String nodeId) {
        try {
            node.destroy(nodeId);
        } catch (SetupException e) {
            LOG.warn("destroying run {} failed: {}", nodeId, e.getMessage());
        }
    }

    /** The run's container log (tini and procd), which exists while the run does. */
    public Path procdLog(String nodeId) {
        return node.procdLog(nodeId);
    }

    /** The end of the container log of the sandbox's last checkpointed run (may not exist). */
    public Path previousLog(String sandboxId) {
        return node.keptLog(sandboxId);
    }

    public void forgetPreviousLog(String sandboxId) {
        node.forgetKeptLog(sandboxId);
    }

    public boolean alive(String nodeId) {
        return node.sandbox(nodeId).isPresent();
    }

    public Optional<Run> run(String nodeId) {
        return node.sandbox(nodeId).map(this::runOf);
    }

    /** Creates or resizes a template's warm pool, started from the template's image. */
    public void configurePool(String poolId, SandboxTemplateSpec spec, int minIdle, int maxIdle) {
        LayerChain chain = imageChain(spec);
        List<Path> dirs;
        try {
            dirs = node.layerDirs("pool:" + poolId, chain);
        } catch (IOException e) {
            throw ApiException.unavailable("image layers of the pool are not available: " + e.getMessage());
        }
        var prototype = new SandboxSpec(poolId, dirs, resources(spec), networkMode(spec, null), Map.of(), List.of());
        node.configurePool(PoolSpec.of(poolId, prototype, minIdle, maxIdle));
    }

    public void removePool(String poolId) {
        node.removePool(poolId);
        node.releaseLayers("pool:" + poolId);
    }

    public int idleCount(String poolId) {
        return node.pool(poolId).map(p -> p.idleCount()).orElse(0);
    }

    /**
     * {@link #applyEnv} for a run nobody has used yet (just started, or idle in a pool): its procd starts
     * with empty template and sandbox layers, so when both are empty the call would change nothing and is
     * skipped. That saves a claim or resume a round trip to a procd still busy with its own warm-up
     * (measured by bench/api: ~11 ms of a warm claim, ~160 ms of a cold claim or a resume).
     */
    private void applyEnvToFreshRun(Run run, SandboxTemplateSpec spec, SandboxConfig config) {
        if (!templateEnv(spec).isEmpty() || !sandboxEnv(config).isEmpty()) {
            applyEnv(run, spec, config);
        }
    }

    /** Template env < sandbox env, replaced in procd for every process started from now on. */
    public void applyEnv(Run run, SandboxTemplateSpec spec, SandboxConfig config) {
        Map<String, String> template = templateEnv(spec);
        Map<String, String> sandbox = sandboxEnv(config);
        byte[] body = Json.write(Map.of("template", template, "sandbox", sandbox));
        HttpResponse<InputStream> answer = procd.call(run.procd(), "PUT", "/api/v1/env",
                Map.of("Content-Type", "application/json"), new ByteArrayInputStream(body), body.length);
        try (InputStream in = answer.body()) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // the status is what matters
        }
        if (answer.statusCode() != 200) {
            throw ApiException.unavailable("sandbox agent refused the environment (" + answer.statusCode() + ")");
        }
    }

    private static Map<String, String> templateEnv(SandboxTemplateSpec spec) {
        var template = new LinkedHashMap<String, String>();
        if (spec.mainContainer().env() != null) {
            for (EnvVar var : spec.mainContainer().env()) {
                template.put(var.name(), var.value() == null ? "" : var.value());
            }
        }
        if (spec.envVars() != null) {
            template.putAll(spec.envVars());
        }
        return template;
    }

    private static Map<String, String> sandboxEnv(SandboxConfig config) {
        return config == null || config.envVars() == null ? Map.of() : config.envVars();
    }

    private Run runOf(Sandbox sandbox) {
        return new Run(sandbox.id(), new ProcdEndpoint(URI.create(sandbox.procdUrl()), sandbox.token()));
    }

    static Resources resources(SandboxTemplateSpec spec) {
        return Resources.fromQuota(spec.mainContainer().resources());
    }

    static NetworkMode networkMode(SandboxTemplateSpec spec, SandboxConfig config) {
        if (config != null && config.network() != null && config.network().mode() != null) {
            return config.network().mode();
        }
        if (spec.network() != null && spec.network().mode() != null) {
            return spec.network().mode();
        }
        return NetworkMode.ALLOW_ALL;
    }

}
