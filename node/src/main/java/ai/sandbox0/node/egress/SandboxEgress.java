package ai.sandbox0.node.egress;

import java.net.InetAddress;

/** The policy in force for the sandbox at {@code address} (its veth address, which it cannot forge). */
public record SandboxEgress(String sandboxId, InetAddress address, EgressPolicy policy) {
}
