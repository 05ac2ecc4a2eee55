package ai.sandbox0.server.network;

import ai.sandbox0.api.network.CredentialBinding;
import ai.sandbox0.api.network.EgressCredentialRule;
import ai.sandbox0.api.network.NetworkEgressPolicy;
import ai.sandbox0.api.network.PortSpec;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.network.TrafficRule;
import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.domain.DomainException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a network policy must satisfy wherever it arrives (template {@code spec.network}, claim
 * {@code config.network}, sandbox update; spec §8 and storage-templates-credentials-tenancy §7.4).
 * Failures are 400s naming the field under {@code prefix}.
 */
public final class NetworkRules {

    private NetworkRules() {
    }

    public static void check(SandboxNetworkPolicy policy, String prefix) {
        if (policy == null) {
            return;
        }
        if (policy.mode() == null) {
            throw bad(prefix + ".mode is required (allow-all or block-all)");
        }
        NetworkEgressPolicy egress = policy.egress();
        var refs = new HashSet<String>();
        if (policy.credentialBindings() != null) {
            for (int i = 0; i < policy.credentialBindings().size(); i++) {
                CredentialBinding binding = policy.credentialBindings().get(i);
                String at = prefix + ".credentialBindings[" + i + "]";
                if (binding == null || blank(binding.ref())) {
                    throw bad(at + ".ref is required");
                }
                if (!refs.add(binding.ref())) {
                    throw bad(at + ".ref \"" + binding.ref() + "\" is used twice");
                }
                if (blank(binding.sourceRef())) {
                    throw bad(at + ".sourceRef is required");
                }
                if (binding.projection() == null || binding.projection().type() == null) {
                    throw bad(at + ".projection.type is required");
                }
            }
        }
        if (egress == null) {
            return;
        }
        boolean legacy = nonEmpty(egress.allowedCidrs()) || nonEmpty(egress.allowedDomains()) || nonEmpty(egress.allowedPorts())
                || nonEmpty(egress.deniedCidrs()) || nonEmpty(egress.deniedDomains()) || nonEmpty(egress.deniedPorts());
        if (legacy && nonEmpty(egress.trafficRules())) {
            throw bad("egress trafficRules cannot be combined with legacy allowed*/denied* fields");
        }
        cidrs(prefix + ".egress.allowedCidrs", egress.allowedCidrs());
        cidrs(prefix + ".egress.deniedCidrs", egress.deniedCidrs());
        ports(prefix + ".egress.allowedPorts", egress.allowedPorts());
        ports(prefix + ".egress.deniedPorts", egress.deniedPorts());
        if (egress.trafficRules() != null) {
            var names = new HashSet<String>();
            for (int i = 0; i < egress.trafficRules().size(); i++) {
                TrafficRule rule = egress.trafficRules().get(i);
                String at = prefix + ".egress.trafficRules[" + i + "]";
                if (rule == null || rule.action() == null) {
                    throw bad(at + ".action is required (allow or deny)");
                }
                if (!blank(rule.name()) && !names.add(rule.name())) {
                    throw bad(at + ".name \"" + rule.name() + "\" is used twice");
                }
                if (!nonEmpty(rule.cidrs()) && !nonEmpty(rule.domains()) && !nonEmpty(rule.ports())
                        && !nonEmpty(rule.appProtocols())) {
                    throw bad(at + " needs at least one of cidrs, domains, ports, appProtocols");
                }
                cidrs(at + ".cidrs", rule.cidrs());
                ports(at + ".ports", rule.ports());
            }
        }
        if (egress.credentialRules() != null) {
            for (int i = 0; i < egress.credentialRules().size(); i++) {
                EgressCredentialRule rule = egress.credentialRules().get(i);
                String at = prefix + ".egress.credentialRules[" + i + "]";
                if (rule == null || blank(rule.credentialRef())) {
                    throw bad(at + ".credentialRef is required");
                }
                if (!refs.contains(rule.credentialRef())) {
                    throw bad(at + ".credentialRef \"" + rule.credentialRef() + "\" is not in credentialBindings");
                }
                ports(at + ".ports", rule.ports());
            }
        }
        if (egress.proxy() != null) {
            if (egress.proxy().type() == null) {
                throw bad(prefix + ".egress.proxy.type is required (socks5)");
            }
            if (blank(egress.proxy().address()) || !egress.proxy().address().matches(".+:\\d{1,5}")) {
                throw bad(prefix + ".egress.proxy.address must be host:port");
            }
        }
    }

    private static void cidrs(String at, List<String> cidrs) {
        if (cidrs == null) {
            return;
        }
        for (String cidr : cidrs) {
            if (!validCidr(cidr)) {
                throw bad(at + ": \"" + cidr + "\" is not a CIDR (e.g. 10.0.0.0/8 or 2001:db8::/32) or an IP address");
            }
        }
    }

    static boolean validCidr(String cidr) {
        if (cidr == null || cidr.isBlank()) {
            return false;
        }
        String[] parts = cidr.strip().split("/", -1);
        if (parts.length > 2) {
            return false;
        }
        boolean v6 = parts[0].contains(":");
        if (v6 ? !parts[0].matches("[0-9a-fA-F:.]+") : !parts[0].matches("(\\d{1,3}\\.){3}\\d{1,3}")) {
            return false;
        }
        if (!v6) {
            for (String octet : parts[0].split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    return false;
                }
            }
        }
        if (parts.length == 2) {
            if (!parts[1].matches("\\d{1,3}")) {
                return false;
            }
            int bits = Integer.parseInt(parts[1]);
            return bits <= (v6 ? 128 : 32);
        }
        return true;
    }

    private static void ports(String at, List<PortSpec> ports) {
        if (ports == null) {
            return;
        }
        for (int i = 0; i < ports.size(); i++) {
            PortSpec port = ports.get(i);
            String where = at + "[" + i + "]";
            if (port == null || port.port() == null) {
                throw bad(where + ".port is required");
            }
            if (port.port() < 1 || port.port() > 65535) {
                throw bad(where + ".port must be between 1 and 65535");
            }
            if (port.endPort() != null && (port.endPort() < port.port() || port.endPort() > 65535)) {
                throw bad(where + ".endPort must be between port and 65535");
            }
            if (port.protocol() != null && !Set.of("tcp", "udp").contains(port.protocol())) {
                throw bad(where + ".protocol must be tcp or udp");
            }
        }
    }

    private static boolean nonEmpty(List<?> list) {
        return list != null && !list.isEmpty();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static DomainException bad(String message) {
        return new Invalid(message);
    }
}
