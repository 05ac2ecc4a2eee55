package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.TrafficRuleAppProtocol;
import java.net.InetAddress;
import java.time.Instant;

/**
 * One TCP connection a sandbox opened, as the proxy saw it: where it went (address, port, the host name the
 * flow or the sandbox's DNS answers gave, the application protocol of its first bytes), the decision and what
 * made it, and the bytes it carried each way. A connection refused at once has no bytes and
 * {@code opened == closed}; one cut by a later policy change carries the verdict that cut it.
 *
 * @param bytesOut from the sandbox to the destination
 * @param bytesIn  from the destination to the sandbox
 */
public record EgressRecord(String sandboxId, InetAddress address, int port, String host, TrafficRuleAppProtocol app,
        boolean allowed, String reason, long bytesOut, long bytesIn, Instant opened, Instant closed) {
}
