package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.EgressAuthProtocol;
import ai.sandbox0.api.network.EgressAuthRolloutMode;
import ai.sandbox0.api.network.EgressCredentialRule;
import ai.sandbox0.api.network.EgressTlsMode;
import ai.sandbox0.api.network.PortSpec;
import ai.sandbox0.api.network.ProtocolRule;
import ai.sandbox0.api.network.TrafficRuleAppProtocol;
import java.util.List;
import java.util.Set;

/**
 * What the proxy does with an allowed flow once it is classified: relayed untouched; inspected (TLS
 * terminated and re-originated, each HTTP request checked against the protocol rules and given its
 * credentials) when the sandbox's policy has a protocol rule or an enabled credential rule for the flow's
 * destination that the proxy can apply to it; for Redis and MQTT with an enabled credential rule of that
 * protocol, relayed with the proxy logging in for the sandbox; or, for SSH with an enabled {@code ssh}
 * credential rule, ended at the proxy's own SSH server and logged in again upstream with the binding's key
 * ({@link SshTermination}).
 */
sealed interface FlowHandling {

    /** Bytes relayed both ways as they are. */
    record Passthrough() implements FlowHandling {
    }

    /**
     * HTTP requests checked one by one, inside TLS when {@code tls}.
     *
     * @param priorKnowledge a plain flow that starts with HTTP/2's preface (h2c with prior knowledge)
     * @param protocolRules the protocol rules for this destination, in declaration order
     * @param credentialRules the enabled credential rules for this destination, in declaration order
     */
    record Inspect(boolean tls, boolean priorKnowledge, List<ProtocolRule> protocolRules, List<EgressCredentialRule> credentialRules)
            implements FlowHandling {

        public Inspect {
            protocolRules = List.copyOf(protocolRules);
            credentialRules = List.copyOf(credentialRules);
        }
    }

    /** An SSH session ended at the proxy and re-originated with {@code rule}'s binding ({@code ssh_proxy}). */
    record SshProxy(EgressCredentialRule rule) implements FlowHandling {
    }

    /**
     * A Redis connection the proxy logs in for the sandbox ({@link RedisLogin}).
     *
     * @param rule the first enabled {@code redis} credential rule for this destination
     */
    record RedisAuth(EgressCredentialRule rule) implements FlowHandling {
    }

    /**
     * An MQTT connection whose CONNECT gets the stored login ({@link MqttLogin}).
     *
     * @param rule the first enabled {@code mqtt} credential rule for this destination
     */
    record MqttAuth(EgressCredentialRule rule) implements FlowHandling {
    }

    FlowHandling PASSTHROUGH = new Passthrough();

    /** Credential rule protocols carried over TLS, and over plain HTTP. */
    Set<EgressAuthProtocol> OVER_TLS = Set.of(EgressAuthProtocol.HTTPS, EgressAuthProtocol.GRPC, EgressAuthProtocol.TLS);

    /**
     * @param first the flow's first bytes as classified
     * @param prefaceH2 whether a plain flow starts with HTTP/2's preface
     * @param terminate whether this proxy can terminate TLS (it has a CA)
     */
    static FlowHandling choose(EgressPolicy policy, Destination destination, TrafficRuleAppProtocol app,
            boolean prefaceH2, boolean terminate) {
        EgressAuthProtocol login = switch (app) {
            case SSH -> EgressAuthProtocol.SSH;
            case REDIS -> EgressAuthProtocol.REDIS;
            case MQTT -> EgressAuthProtocol.MQTT;
            case null, default -> null;
        };
        if (login != null) {
            // The first enabled rule of the flow's protocol for the destination, in declaration order.
            return policy.credentialRules().stream()
                    .filter(r -> r != null && r.rollout() != EgressAuthRolloutMode.DISABLED && r.protocol() == login)
                    .filter(r -> applies(HttpRules.l(r.domains()), HttpRules.l(r.ports()), destination))
                    .findFirst()
                    .<FlowHandling>map(r -> switch (login) {
                        case SSH -> new SshProxy(r);
                        case REDIS -> new RedisAuth(r);
                        default -> new MqttAuth(r);
                    })
                    .orElse(PASSTHROUGH);
        }
        if (app != TrafficRuleAppProtocol.TLS && app != TrafficRuleAppProtocol.HTTP) {
            return PASSTHROUGH;
        }
        boolean tls = app == TrafficRuleAppProtocol.TLS;
        if (tls && !terminate) {
            return PASSTHROUGH;
        }
        List<ProtocolRule> protocol = policy.protocolRules().stream()
                .filter(r -> r != null && applies(HttpRules.l(r.domains()), HttpRules.l(r.ports()), destination))
                .filter(r -> !tls || r.tlsMode() == EgressTlsMode.TERMINATE_REORIGINATE)
                .toList();
        List<EgressCredentialRule> credential = policy.credentialRules().stream()
                .filter(r -> r != null && r.rollout() != EgressAuthRolloutMode.DISABLED)
                .filter(r -> applies(HttpRules.l(r.domains()), HttpRules.l(r.ports()), destination))
                .filter(r -> tls ? terminates(r) : r.protocol() == null || r.protocol() == EgressAuthProtocol.HTTP)
                .toList();
        return protocol.isEmpty() && credential.isEmpty() ? PASSTHROUGH : new Inspect(tls, !tls && prefaceH2, protocol, credential);
    }

    /**
     * A credential rule lets its TLS flows be terminated with {@code terminate-reoriginate}; an {@code https}
     * or {@code grpc} rule that names no mode does too (what upstream's documented examples rely on).
     */
    static boolean terminates(EgressCredentialRule r) {
        if (r.protocol() != null && !OVER_TLS.contains(r.protocol())) {
            return false;
        }
        return r.tlsMode() == EgressTlsMode.TERMINATE_REORIGINATE
                || r.tlsMode() == null && (r.protocol() == EgressAuthProtocol.HTTPS || r.protocol() == EgressAuthProtocol.GRPC);
    }

    /** A rule's destination: any of its domains (none: every name, and flows without one) and any of its ports. */
    static boolean applies(List<String> domains, List<PortSpec> ports, Destination d) {
        if (!domains.isEmpty() && TrafficMatcher.domains(domains).stream().noneMatch(p -> p.matches(d.host()))) {
            return false;
        }
        return ports.isEmpty() || TrafficMatcher.ports(ports).stream().anyMatch(p -> p.matches(d.port(), Transport.TCP));
    }
}
