package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.TrafficRuleAppProtocol;
import java.util.List;

/**
 * What a flow's first bytes tell: the application protocol, the host name it carries (TLS SNI, HTTP Host) and,
 * for TLS, the protocols the client offers (ALPN). Unknown parts are null (or empty).
 */
record Classification(TrafficRuleAppProtocol app, String host, List<String> alpn) {

    static final Classification UNKNOWN = new Classification(null, null, List.of());

    Classification {
        alpn = List.copyOf(alpn);
    }

    static Classification of(TrafficRuleAppProtocol app) {
        return new Classification(app, null, List.of());
    }
}
