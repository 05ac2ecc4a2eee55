package ai.sandbox0.node.runtime;

import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.node.EmptyDir;
import ai.sandbox0.node.Resources;
import ai.sandbox0.node.SandboxSecurity;
import ai.sandbox0.node.VolumeBind;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What to run: the node's own id for the sandbox, its root as read-only layer dirs (lowest first; the
 * node adds a fresh upper dir for this run), its limits, its network policy (null: allow-all), extra environment for procd
 * and its children, extra mounts, empty dirs, how its processes run and the volumes bound in (idmapped,
 * mounted after everything else so they win over any other mount at or above their path).
 */
public record SandboxSpec(
        String id,
        List<Path> lowerDirs,
        Resources resources,
        SandboxNetworkPolicy network,
        Map<String, String> env,
        List<OciMount> mounts,
        List<EmptyDir> emptyDirs,
        SandboxSecurity security,
        List<VolumeBind> volumes) {

    public SandboxSpec(String id, List<Path> lowerDirs, Resources resources, NetworkMode networkMode,
            Map<String, String> env, List<OciMount> mounts) {
        this(id, lowerDirs, resources, policyOf(networkMode), env, mounts, List.of(), SandboxSecurity.DEFAULT, List.of());
    }

    public SandboxSpec(String id, List<Path> lowerDirs, Resources resources, NetworkMode networkMode,
            Map<String, String> env, List<OciMount> mounts, List<EmptyDir> emptyDirs) {
        this(id, lowerDirs, resources, policyOf(networkMode), env, mounts, emptyDirs, SandboxSecurity.DEFAULT, List.of());
    }

    public SandboxSpec(String id, List<Path> lowerDirs, Resources resources, NetworkMode networkMode,
            Map<String, String> env, List<OciMount> mounts, List<EmptyDir> emptyDirs, SandboxSecurity security) {
        this(id, lowerDirs, resources, policyOf(networkMode), env, mounts, emptyDirs, security, List.of());
    }

    public SandboxSpec {
        if (id == null || !id.matches("[a-z0-9][a-z0-9-]{0,47}")) {
            throw new IllegalArgumentException("sandbox id must be 1-48 of [a-z0-9-], starting alphanumeric: " + id);
        }
        if (lowerDirs == null || lowerDirs.isEmpty()) {
            throw new IllegalArgumentException("sandbox " + id + " needs at least one rootfs layer dir");
        }
        lowerDirs = List.copyOf(lowerDirs);
        env = env == null ? Map.of() : Map.copyOf(env);
        mounts = mounts == null ? List.of() : List.copyOf(mounts);
        emptyDirs = emptyDirs == null ? List.of() : List.copyOf(emptyDirs);
        security = security == null ? SandboxSecurity.DEFAULT : security;
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
    }

    public static SandboxSpec of(String id, List<Path> lowerDirs, Resources resources, NetworkMode mode) {
        return new SandboxSpec(id, lowerDirs, resources, mode, Map.of(), List.of());
    }

    public SandboxSpec withId(String newId) {
        return new SandboxSpec(newId, lowerDirs, resources, network, env, mounts, emptyDirs, security, volumes);
    }

    public SandboxSpec withNetwork(SandboxNetworkPolicy policy) {
        return new SandboxSpec(id, lowerDirs, resources, policy, env, mounts, emptyDirs, security, volumes);
    }

    /** What traffic no rule matches gets. */
    public NetworkMode networkMode() {
        return network == null || network.mode() == null ? NetworkMode.ALLOW_ALL : network.mode();
    }

    /** A policy of a mode alone (null for allow-all, what a sandbox without a network config gets). */
    public static SandboxNetworkPolicy policyOf(NetworkMode mode) {
        return mode == null || mode == NetworkMode.ALLOW_ALL ? null : new SandboxNetworkPolicy(mode, null, null);
    }

    /** The hostname inside: short, stable and free of the caller's naming. */
    public String hostname() {
        return "sandbox-" + (id.length() > 12 ? id.substring(0, 12) : id);
    }
}
