package ai.sandbox0.node;

import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.node.runtime.SandboxSpec;
import java.time.Instant;

/**
 * A running sandbox whose procd answered: where to reach procd, with which bearer token, and what it
 * was started from. {@link #toString()} leaves the token out.
 *
 * @param initPid tini's pid on the host
 * @param cgroupPath the sandbox's cgroup, relative to each hierarchy
 */
public record Sandbox(
        String id,
        String address,
        int procdPort,
        String token,
        int slot,
        int initPid,
        String cgroupPath,
        Instant startedAt,
        SandboxSpec spec) {

    public String procdUrl() {
        return "http://" + address + ":" + procdPort;
    }

    public Sandbox withNetwork(SandboxNetworkPolicy policy) {
        return new Sandbox(id, address, procdPort, token, slot, initPid, cgroupPath, startedAt, spec.withNetwork(policy));
    }

    public NetworkMode networkMode() {
        return spec.networkMode();
    }

    @Override
    public String toString() {
        return "Sandbox[" + id + " " + procdUrl() + " pid=" + initPid + " " + networkMode().wire() + "]";
    }
}
