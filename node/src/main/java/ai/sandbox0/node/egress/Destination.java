package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.TrafficRuleAppProtocol;
import java.net.InetAddress;

/**
 * Where a flow goes, as far as it is known when a decision is due: always the address, port and transport;
 * the host name once the proxy or resolver has classified it (TLS SNI, HTTP Host, the sandbox's own DNS
 * answers), and the application protocol from the first bytes. Unknown parts are null.
 */
public record Destination(InetAddress address, int port, Transport transport, String host, TrafficRuleAppProtocol app) {

    public Destination {
        address = address == null ? null : IpRange.canonical(address);
        host = host == null || host.isBlank() ? null : DomainPattern.normalize(host);
    }

    public static Destination of(InetAddress address, int port, Transport transport) {
        return new Destination(address, port, transport, null, null);
    }

    public Destination withHost(String h) {
        return new Destination(address, port, transport, h, app);
    }

    public Destination withApp(TrafficRuleAppProtocol a) {
        return new Destination(address, port, transport, host, a);
    }
}
