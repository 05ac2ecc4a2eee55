package ai.sandbox0.api.network;

import ai.sandbox0.api.Copies;
import java.util.List;

/** An allow or deny rule over destinations; needs at least one matcher. */
public record TrafficRule(
        String name,
        TrafficRuleAction action,
        List<String> cidrs,
        List<String> domains,
        List<PortSpec> ports,
        List<TrafficRuleAppProtocol> appProtocols) {

    public TrafficRule {
        cidrs = Copies.list(cidrs);
        domains = Copies.list(domains);
        ports = Copies.list(ports);
        appProtocols = Copies.list(appProtocols);
    }
}
