package ai.sandbox0.node.egress;

import java.net.InetAddress;
import java.util.Optional;

/**
 * What the node's resolver answered each sandbox: lets the proxy name a flow that carries no name of its own
 * (SSH, a raw TCP protocol), so a domain rule applies to it too.
 */
public interface NameRecords {

    /** The name {@code sandbox} last resolved to {@code address}, while that answer's TTL lasts. */
    Optional<String> nameOf(InetAddress sandbox, InetAddress address);

    NameRecords NONE = (sandbox, address) -> Optional.empty();
}
