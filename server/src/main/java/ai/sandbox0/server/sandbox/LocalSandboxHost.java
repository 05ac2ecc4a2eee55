package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.Quantity;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.template.EnvVar;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.node.EmptyDir;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.Node;
import ai.sandbox0.node.Resources;
import ai.sandbox0.node.Sandbox;
import ai.sandbox0.node.StartGate;
import ai.sandbox0.node.VolumeBind;
import ai.sandbox0.node.volume.VolumePool;
import ai.sandbox0.server.network.NetworkPolicies;
import ai.sandbox0.server.procd.ProcdClient;
import ai.sandbox0.server.procd.ProcdEndpoint;
import ai.sandbox0.server.template.TemplateRules;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox host on this machine: the node runtime in this process. Starts runs of a chain (cold, or
 * warm from a template's pool), checkpoints them into layers and keeps each run's environment
 * (template &lt; sandbox) in its procd.
 */
public final class LocalSandboxHost implements SandboxHost, RunLogs {

    private static final Logger LOG = LoggerFactory.getLogger(LocalSandboxHost.class);
    private final Node node;
    private final ProcdClient procd;
    private final VolumePool volumes;

    /** @param volumes the node's volumes, which runs mount by id; null when this host has none */
    public LocalSandboxHost(Node node, ProcdClient procd, VolumePool volumes) {
        this.node = node;
        this.procd = procd;
        this.volumes = volumes;
    }

    /** The node's egress data plane, where the server's hooks attach. */
    public ai.sandbox0.node.egress.EgressPlane egress() {
        return node.egress();
    }

    @Override
    public LayerChain imageChain(SandboxTemplateSpec spec) {
        String reference = spec.mainContainer().image();
        try {
            return node.imageChain(reference, progress -> LOG.info("image {}: {}", reference, progress));
        } catch (IOException | RuntimeException e) {
            throw new HostFailure("image " + reference + " is not available: " + e.getMessage(), e);
        }
    }

    @Override
    public Run start(String runId, SandboxTemplateSpec spec, SandboxConfig config, LayerChain chain,
            List<VolumeMount> mounts) {
        List<VolumeBind> binds = binds(mounts);
        Sandbox sandbox;
        try {
            sandbox = node.start(runId, chain, resources(spec), NetworkPolicies.effective(spec.network(), network(config)),
                    Map.of(), emptyDirs(spec), TemplateRules.security(spec), binds);
        } catch (StartGate.Busy e) {
            throw new HostFailure(e.reason(), e.retryAfter());
        } catch (IOException | RuntimeException e) {
            throw new HostFailure("sandbox could not start: " + e.getMessage(), e);
        }
        return readied(sandbox, spec, config);
    }

    @Override
    public Optional<Run> claimWarm(String poolId, SandboxTemplateSpec spec, SandboxConfig config) {
        Optional<Sandbox> idle;
        try {
            idle = node.claimIdle(poolId);
        } catch (IOException | RuntimeException e) {
            LOG.warn("warm pool {} could not hand out a sandbox: {}", poolId, e.getMessage());
            return Optional.empty();
        }
        if (idle.isEmpty()) {
            return Optional.empty();
        }
        Sandbox sandbox = idle.get();
        // Idle runs of the pool have the template's policy; the claim's own goes on top before anyone uses the run.
        if (network(config) != null) {
            try {
                node.setNetworkPolicy(sandbox.id(), NetworkPolicies.effective(spec.network(), network(config)));
            } catch (IOException | RuntimeException e) {
                destroyQuietly(sandbox.id());
                throw new HostFailure("sandbox could not start: " + e.getMessage(), e);
            }
        }
        return Optional.of(readied(sandbox, spec, config));
    }

    @Override
    public void applyNetwork(Run run, SandboxNetworkPolicy policy) {
        try {
            node.setNetworkPolicy(run.runId(), policy);
        } catch (IOException | RuntimeException e) {
            throw new HostFailure("network policy not applied: " + e.getMessage(), e);
        }
    }

    private static SandboxNetworkPolicy network(SandboxConfig config) {
        return config == null ? null : config.network();
    }

    /** Each volume's directory on this node, by its id: never a path a caller gave. */
    private List<VolumeBind> binds(List<VolumeMount> mounts) {
        if (mounts.isEmpty()) {
            return List.of();
        }
        if (volumes == null) {
            throw new HostFailure("sandbox volumes are not available on this host");
        }
        var binds = new java.util.ArrayList<VolumeBind>(mounts.size());
        for (VolumeMount mount : mounts) {
            if (!volumes.exists(mount.volumeId())) {
                throw new HostFailure("sandbox volume " + mount.volumeId() + " is not on this host");
            }
            binds.add(new VolumeBind(volumes.root(mount.volumeId()), mount.mountPoint(), mount.readOnly()));
        }
        return binds;
    }

    /** The run of a sandbox that just came up, with its environment; destroyed again if that fails. */
    private Run readied(Sandbox sandbox, SandboxTemplateSpec spec, SandboxConfig config) {
        Run run = runOf(sandbox);
        try {
            applyEnvToFreshRun(run, spec, config);
        } catch (RuntimeException e) {
            destroyQuietly(sandbox.id());
            throw e;
        }
        return run;
    }

    @Override
    public LayerChain checkpoint(String runId, String sandboxId) {
        try {
            return node.checkpoint(runId, sandboxId);
        } catch (IOException | RuntimeException e) {
            throw new HostFailure("checkpoint of " + runId + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void destroy(String runId) {
        try {
            node.destroy(runId);
        } catch (IOException | RuntimeException e) {
            throw new HostFailure("removing run " + runId + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void kill(String runId) {
        try {
            node.kill(runId);
        } catch (IOException | RuntimeException e) {
            throw new HostFailure("stopping run " + runId + " failed: " + e.getMessage(), e);
        }
    }

    private void destroyQuietly(String runId) {
        try {
            destroy(runId);
        } catch (HostFailure e) {
            LOG.warn("{}", e.getMessage());
        }
    }

    @Override
    public Optional<Run> run(String runId) {
        return node.sandbox(runId).map(LocalSandboxHost::runOf);
    }

    @Override
    public Path current(String runId) {
        return node.procdLog(runId);
    }

    @Override
    public Path previous(String sandboxId) {
        return node.keptLog(sandboxId);
    }

    @Override
    public void forget(String sandboxId) {
        node.forgetKeptLog(sandboxId);
    }

    @Override
    public void configurePool(String poolId, SandboxTemplateSpec spec, int minIdle, int maxIdle) {
        LayerChain chain = imageChain(spec);
        try {
            node.configurePool(poolId, chain, resources(spec), spec.network(), emptyDirs(spec),
                    TemplateRules.security(spec), minIdle, maxIdle);
        } catch (IOException | RuntimeException e) {
            throw new HostFailure("image layers of the pool are not available: " + e.getMessage(), e);
        }
    }

    @Override
    public void removePool(String poolId) {
        node.removePool(poolId);
    }

    @Override
    public int idleCount(String poolId) {
        return node.idleCount(poolId);
    }

    @Override
    public int collectLayers(Collection<LayerChain> referenced, Duration grace) {
        try {
            return node.collectLayers(referenced, grace);
        } catch (IOException | RuntimeException e) {
            throw new HostFailure("layer gc failed: " + e.getMessage(), e);
        }
    }

    /**
     * {@link #applyEnv} for a run nobody has used yet (just started, or idle in a pool): its procd starts
     * with empty template and sandbox layers, so when both are empty the call would change nothing and is
     * skipped. That saves a claim or resume a round trip to a procd still busy with its own warm-up.
     */
    private void applyEnvToFreshRun(Run run, SandboxTemplateSpec spec, SandboxConfig config) {
        if (!templateEnv(spec).isEmpty() || !sandboxEnv(config).isEmpty()) {
            applyEnv(run, spec, config);
        }
    }

    @Override
    public void applyEnv(Run run, SandboxTemplateSpec spec, SandboxConfig config) {
        Map<String, String> template = templateEnv(spec);
        Map<String, String> sandbox = sandboxEnv(config);
        byte[] body = Json.write(Map.of("template", template, "sandbox", sandbox));
        HttpResponse<InputStream> answer;
        try {
            answer = procd.call(run.procd(), "PUT", "/api/v1/env", Map.of("Content-Type", "application/json"),
                    new ByteArrayInputStream(body), body.length);
        } catch (RuntimeException e) {
            throw new HostFailure("sandbox agent did not take the environment: " + e.getMessage(), e);
        }
        try (InputStream in = answer.body()) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // the status is what matters
        }
        if (answer.statusCode() != 200) {
            throw new HostFailure("sandbox agent refused the environment (" + answer.statusCode() + ")");
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

    private static Run runOf(Sandbox sandbox) {
        return new Run(sandbox.id(), new ProcdEndpoint(URI.create(sandbox.procdUrl()), sandbox.token()));
    }

    static Resources resources(SandboxTemplateSpec spec) {
        return Resources.fromQuota(spec.mainContainer().resources());
    }

    /**
     * The template's {@code pod.emptyDirMounts}, each a disk of its {@code sizeLimit}; without one, the size
     * of the sandbox's ephemeral storage (a disk of its own all the same).
     */
    static List<EmptyDir> emptyDirs(SandboxTemplateSpec spec) {
        if (spec.pod() == null || spec.pod().emptyDirMounts() == null) {
            return List.of();
        }
        long fallback = resources(spec).ephemeralBytes();
        return spec.pod().emptyDirMounts().stream()
                .map(m -> new EmptyDir(m.mountPath(), m.sizeLimit() == null ? fallback : Quantity.bytes(m.sizeLimit())))
                .toList();
    }
}
