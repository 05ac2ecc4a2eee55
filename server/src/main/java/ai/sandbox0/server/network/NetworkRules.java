package ai.sandbox0.server.network;

import ai.sandbox0.api.network.CredentialBinding;
import ai.sandbox0.api.network.CredentialProjectionType;
import ai.sandbox0.api.network.EgressAuthProtocol;
import ai.sandbox0.api.network.EgressCredentialRule;
import ai.sandbox0.api.network.EgressTlsMode;
import ai.sandbox0.api.network.HttpMatch;
import ai.sandbox0.api.network.HttpValueMatch;
import ai.sandbox0.api.network.NetworkEgressPolicy;
import ai.sandbox0.api.network.PlaceholderReplacement;
import ai.sandbox0.api.network.PortSpec;
import ai.sandbox0.api.network.ProjectedHeader;
import ai.sandbox0.api.network.ProjectionSpec;
import ai.sandbox0.api.network.ProtocolRule;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.network.TrafficRule;
import ai.sandbox0.node.egress.IpRange;
import ai.sandbox0.server.domain.DomainException;
import ai.sandbox0.server.domain.DomainException.Invalid;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a network policy must satisfy wherever it arrives (template {@code spec.network}, claim
 * {@code config.network}, sandbox update, {@code PUT …/network}). Failures are 400s naming the field under
 * {@code prefix} (empty when the policy is the whole body).
 *
 * <p>{@link #shape} checks one policy on its own; {@link #references} checks what refers across the
 * policy (credential rules and the proxy to bindings, and what their projections allow), which for a
 * sandbox is the template's policy merged with the request's.
 */
public final class NetworkRules {

    private static final Set<String> HTTP_METHODS =
            Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE");

    private NetworkRules() {
    }

    /** Shape and references of a policy that stands alone (a template's, or a sandbox's without template policy). */
    public static void check(SandboxNetworkPolicy policy, String prefix) {
        shape(policy, prefix);
        references(policy, prefix);
    }

    public static void shape(SandboxNetworkPolicy policy, String prefix) {
        if (policy == null) {
            return;
        }
        if (policy.mode() == null) {
            throw bad(at(prefix, "mode") + " is required (allow-all or block-all)");
        }
        bindings(policy.credentialBindings(), prefix);
        NetworkEgressPolicy egress = policy.egress();
        if (egress == null) {
            return;
        }
        String e = at(prefix, "egress");
        boolean legacy = nonEmpty(egress.allowedCidrs()) || nonEmpty(egress.allowedDomains()) || nonEmpty(egress.allowedPorts())
                || nonEmpty(egress.deniedCidrs()) || nonEmpty(egress.deniedDomains()) || nonEmpty(egress.deniedPorts());
        if (legacy && nonEmpty(egress.trafficRules())) {
            throw bad("egress trafficRules cannot be combined with legacy allowed*/denied* fields");
        }
        cidrs(e + ".allowedCidrs", egress.allowedCidrs());
        cidrs(e + ".deniedCidrs", egress.deniedCidrs());
        domains(e + ".allowedDomains", egress.allowedDomains());
        domains(e + ".deniedDomains", egress.deniedDomains());
        ports(e + ".allowedPorts", egress.allowedPorts());
        ports(e + ".deniedPorts", egress.deniedPorts());
        List<TrafficRule> traffic = orEmpty(egress.trafficRules());
        var trafficNames = new HashSet<String>();
        for (int i = 0; i < traffic.size(); i++) {
            TrafficRule rule = traffic.get(i);
            String r = e + ".trafficRules[" + i + "]";
            if (rule == null || rule.action() == null) {
                throw bad(r + ".action is required (allow or deny)");
            }
            if (!blank(rule.name()) && !trafficNames.add(rule.name())) {
                throw bad(r + ".name \"" + rule.name() + "\" is used twice");
            }
            if (!nonEmpty(rule.cidrs()) && !nonEmpty(rule.domains()) && !nonEmpty(rule.ports())
                    && !nonEmpty(rule.appProtocols())) {
                throw bad(r + " needs at least one of cidrs, domains, ports, appProtocols");
            }
            cidrs(r + ".cidrs", rule.cidrs());
            domains(r + ".domains", rule.domains());
            ports(r + ".ports", rule.ports());
        }
        List<ProtocolRule> protocols = orEmpty(egress.protocolRules());
        var protocolNames = new HashSet<String>();
        for (int i = 0; i < protocols.size(); i++) {
            protocolRule(protocols.get(i), e + ".protocolRules[" + i + "]", protocolNames);
        }
        List<EgressCredentialRule> credentials = orEmpty(egress.credentialRules());
        var credentialNames = new HashSet<String>();
        for (int i = 0; i < credentials.size(); i++) {
            EgressCredentialRule rule = credentials.get(i);
            String r = e + ".credentialRules[" + i + "]";
            if (rule == null || blank(rule.credentialRef())) {
                throw bad(r + ".credentialRef is required");
            }
            if (!blank(rule.name()) && !credentialNames.add(rule.name())) {
                throw bad(r + ".name \"" + rule.name() + "\" is used twice");
            }
            domains(r + ".domains", rule.domains());
            ports(r + ".ports", rule.ports());
            if (rule.protocol() == EgressAuthProtocol.TLS && rule.tlsMode() != EgressTlsMode.TERMINATE_REORIGINATE) {
                throw bad(r + ": protocol tls requires tlsMode terminate-reoriginate");
            }
            if (rule.httpMatch() != null) {
                if (rule.protocol() != EgressAuthProtocol.HTTP && rule.protocol() != EgressAuthProtocol.HTTPS
                        && rule.protocol() != EgressAuthProtocol.GRPC) {
                    throw bad(r + ".httpMatch requires protocol http, https or grpc");
                }
                if (rule.protocol() != EgressAuthProtocol.HTTP && rule.tlsMode() != EgressTlsMode.TERMINATE_REORIGINATE) {
                    throw bad(r + ".httpMatch with protocol " + rule.protocol().wire() + " requires tlsMode terminate-reoriginate");
                }
                httpMatch(rule.httpMatch(), r + ".httpMatch");
            }
        }
        if (egress.proxy() != null) {
            String p = e + ".proxy";
            if (egress.proxy().type() == null) {
                throw bad(p + ".type is required (socks5)");
            }
            String address = egress.proxy().address();
            if (blank(address) || !address.matches("[^\\s:]+:\\d{1,5}|\\[[0-9a-fA-F:.]+\\]:\\d{1,5}")
                    || Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)) > 65535
                    || Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)) < 1) {
                throw bad(p + ".address must be host:port");
            }
        }
    }

    /** Credential rules and the proxy refer to bindings that exist and whose projections suit them. */
    public static void references(SandboxNetworkPolicy policy, String prefix) {
        if (policy == null) {
            return;
        }
        Map<String, CredentialBinding> byRef = new HashMap<>();
        for (CredentialBinding b : orEmpty(policy.credentialBindings())) {
            if (b != null && b.ref() != null) {
                byRef.put(b.ref(), b);
            }
        }
        NetworkEgressPolicy egress = policy.egress();
        if (egress == null) {
            return;
        }
        String e = at(prefix, "egress");
        List<EgressCredentialRule> rules = orEmpty(egress.credentialRules());
        for (int i = 0; i < rules.size(); i++) {
            EgressCredentialRule rule = rules.get(i);
            String r = e + ".credentialRules[" + i + "]";
            CredentialBinding binding = byRef.get(rule.credentialRef());
            if (binding == null) {
                throw bad(r + ".credentialRef \"" + rule.credentialRef() + "\" is not in credentialBindings");
            }
            CredentialProjectionType type = binding.projection().type();
            EgressAuthProtocol protocol = rule.protocol();
            if (protocol == EgressAuthProtocol.TLS && type != CredentialProjectionType.TLS_CLIENT_CERTIFICATE) {
                throw bad(r + ": protocol tls requires a tls_client_certificate projection on \"" + binding.ref() + "\"");
            }
            if ((protocol == EgressAuthProtocol.SOCKS5 || protocol == EgressAuthProtocol.MQTT
                    || protocol == EgressAuthProtocol.REDIS) && type != CredentialProjectionType.USERNAME_PASSWORD) {
                throw bad(r + ": protocol " + protocol.wire() + " requires a username_password projection on \""
                        + binding.ref() + "\"");
            }
            if (protocol == EgressAuthProtocol.SSH && type != CredentialProjectionType.SSH_PROXY) {
                throw bad(r + ": protocol ssh requires an ssh_proxy projection on \"" + binding.ref() + "\"");
            }
            if (type == CredentialProjectionType.PLACEHOLDER_SUBSTITUTION) {
                if (protocol != EgressAuthProtocol.HTTP && protocol != EgressAuthProtocol.HTTPS
                        && protocol != EgressAuthProtocol.GRPC) {
                    throw bad(r + ": a placeholder_substitution projection requires protocol http, https or grpc");
                }
                if (protocol != EgressAuthProtocol.HTTP && rule.tlsMode() != EgressTlsMode.TERMINATE_REORIGINATE) {
                    throw bad(r + ": a placeholder_substitution projection with protocol " + protocol.wire()
                            + " requires tlsMode terminate-reoriginate");
                }
            }
        }
        if (egress.proxy() != null && !blank(egress.proxy().credentialRef())) {
            CredentialBinding binding = byRef.get(egress.proxy().credentialRef());
            if (binding == null) {
                throw bad(e + ".proxy.credentialRef \"" + egress.proxy().credentialRef() + "\" is not in credentialBindings");
            }
            if (binding.projection().type() != CredentialProjectionType.USERNAME_PASSWORD) {
                throw bad(e + ".proxy.credentialRef \"" + binding.ref() + "\" requires a username_password projection");
            }
        }
    }

    private static void bindings(List<CredentialBinding> bindings, String prefix) {
        var refs = new HashSet<String>();
        List<CredentialBinding> list = orEmpty(bindings);
        for (int i = 0; i < list.size(); i++) {
            CredentialBinding binding = list.get(i);
            String at = at(prefix, "credentialBindings[" + i + "]");
            if (binding == null || blank(binding.ref())) {
                throw bad(at + ".ref is required");
            }
            if (!refs.add(binding.ref())) {
                throw bad(at + ".ref \"" + binding.ref() + "\" is used twice");
            }
            if (blank(binding.sourceRef())) {
                throw bad(at + ".sourceRef is required");
            }
            if (binding.cachePolicy() != null && binding.cachePolicy().ttl() != null) {
                try {
                    if (GoDuration.parse(binding.cachePolicy().ttl()).isZero()) {
                        throw bad(at + ".cachePolicy.ttl must be greater than zero");
                    }
                } catch (IllegalArgumentException ex) {
                    throw bad(at + ".cachePolicy.ttl \"" + binding.cachePolicy().ttl()
                            + "\" is not a duration (such as 30s, 5m or 1h)");
                }
            }
            projection(binding.projection(), at + ".projection");
        }
    }

    private static void projection(ProjectionSpec p, String at) {
        if (p == null || p.type() == null) {
            throw bad(at + ".type is required (http_headers, placeholder_substitution, tls_client_certificate,"
                    + " username_password or ssh_proxy)");
        }
        switch (p.type()) {
            case HTTP_HEADERS -> {
                if (p.httpHeaders() == null || !nonEmpty(p.httpHeaders().headers())) {
                    throw bad(at + ".httpHeaders.headers is required for type http_headers");
                }
                List<ProjectedHeader> headers = p.httpHeaders().headers();
                for (int i = 0; i < headers.size(); i++) {
                    ProjectedHeader h = headers.get(i);
                    String hat = at + ".httpHeaders.headers[" + i + "]";
                    if (h == null || blank(h.name())) {
                        throw bad(hat + ".name is required");
                    }
                    if (!h.name().matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                        throw bad(hat + ".name \"" + h.name() + "\" is not an HTTP header name");
                    }
                    if (blank(h.valueTemplate())) {
                        throw bad(hat + ".valueTemplate is required");
                    }
                }
            }
            case PLACEHOLDER_SUBSTITUTION -> {
                if (p.placeholderSubstitution() == null || !nonEmpty(p.placeholderSubstitution().replacements())) {
                    throw bad(at + ".placeholderSubstitution.replacements needs at least one replacement");
                }
                List<PlaceholderReplacement> list = p.placeholderSubstitution().replacements();
                for (int i = 0; i < list.size(); i++) {
                    PlaceholderReplacement r = list.get(i);
                    String rat = at + ".placeholderSubstitution.replacements[" + i + "]";
                    if (r == null || blank(r.placeholder())) {
                        throw bad(rat + ".placeholder is required");
                    }
                    if (blank(r.valueTemplate())) {
                        throw bad(rat + ".valueTemplate is required");
                    }
                    if (!nonEmpty(r.locations())) {
                        throw bad(rat + ".locations needs at least one of header, query, body");
                    }
                    if (new HashSet<>(r.locations()).size() != r.locations().size()) {
                        throw bad(rat + ".locations lists a location twice");
                    }
                }
            }
            case TLS_CLIENT_CERTIFICATE -> {
                if (p.tlsClientCertificate() == null) {
                    throw bad(at + ".tlsClientCertificate is required for type tls_client_certificate");
                }
            }
            case USERNAME_PASSWORD -> {
                if (p.usernamePassword() == null) {
                    throw bad(at + ".usernamePassword is required for type username_password");
                }
            }
            case SSH_PROXY -> {
                if (p.sshProxy() == null) {
                    throw bad(at + ".sshProxy is required for type ssh_proxy");
                }
                if (blank(p.sshProxy().upstreamUsername())) {
                    throw bad(at + ".sshProxy.upstreamUsername is required");
                }
                if (!nonEmpty(p.sshProxy().sandboxPublicKeys())
                        || p.sshProxy().sandboxPublicKeys().stream().anyMatch(NetworkRules::blank)) {
                    throw bad(at + ".sshProxy.sandboxPublicKeys needs at least one public key");
                }
                ai.sandbox0.node.egress.SshProxyLines.problem(p.sshProxy().sandboxPublicKeys(), p.sshProxy().knownHosts())
                        .ifPresent(problem -> {
                            throw bad(at + ".sshProxy." + problem);
                        });
            }
        }
    }

    private static void protocolRule(ProtocolRule rule, String at, Set<String> names) {
        if (rule == null || rule.protocol() == null) {
            throw bad(at + ".protocol is required (http or mcp)");
        }
        if (!blank(rule.name()) && !names.add(rule.name())) {
            throw bad(at + ".name \"" + rule.name() + "\" is used twice");
        }
        domains(at + ".domains", rule.domains());
        ports(at + ".ports", rule.ports());
        switch (rule.protocol()) {
            case HTTP -> {
                if (rule.http() == null) {
                    throw bad(at + ".http is required for protocol http");
                }
                if (rule.mcp() != null) {
                    throw bad(at + ".mcp is not allowed for protocol http");
                }
                if (rule.http().methods() != null) {
                    methods(at + ".http.methods.allowed", rule.http().methods().allowed());
                    methods(at + ".http.methods.denied", rule.http().methods().denied());
                }
                if (rule.http().paths() != null) {
                    paths(at + ".http.paths.allowed", rule.http().paths().allowed());
                    paths(at + ".http.paths.denied", rule.http().paths().denied());
                    paths(at + ".http.paths.allowedPrefixes", rule.http().paths().allowedPrefixes());
                    paths(at + ".http.paths.deniedPrefixes", rule.http().paths().deniedPrefixes());
                }
            }
            case MCP -> {
                if (rule.mcp() == null) {
                    throw bad(at + ".mcp is required for protocol mcp");
                }
                if (rule.http() != null) {
                    throw bad(at + ".http is not allowed for protocol mcp");
                }
                if (rule.mcp().tools() != null) {
                    names(at + ".mcp.tools.allowed", rule.mcp().tools().allowed());
                    names(at + ".mcp.tools.denied", rule.mcp().tools().denied());
                }
            }
        }
        if (rule.httpMatch() != null) {
            httpMatch(rule.httpMatch(), at + ".httpMatch");
        }
    }

    private static void httpMatch(HttpMatch m, String at) {
        methods(at + ".methods", m.methods());
        paths(at + ".paths", m.paths());
        paths(at + ".pathPrefixes", m.pathPrefixes());
        values(at + ".query", m.query());
        values(at + ".headers", m.headers());
    }

    private static void methods(String at, List<String> methods) {
        var seen = new HashSet<String>();
        for (String method : orEmpty(methods)) {
            if (method == null || !HTTP_METHODS.contains(method.strip().toUpperCase(java.util.Locale.ROOT))) {
                throw bad(at + ": \"" + method + "\" is not an HTTP method");
            }
            if (!seen.add(method.strip().toUpperCase(java.util.Locale.ROOT))) {
                throw bad(at + ": \"" + method + "\" is listed twice");
            }
        }
    }

    private static void paths(String at, List<String> paths) {
        var seen = new HashSet<String>();
        for (String path : orEmpty(paths)) {
            if (path == null || !path.startsWith("/")) {
                throw bad(at + ": \"" + path + "\" must start with /");
            }
            if (!seen.add(path)) {
                throw bad(at + ": \"" + path + "\" is listed twice");
            }
        }
    }

    private static void names(String at, List<String> names) {
        var seen = new HashSet<String>();
        for (String name : orEmpty(names)) {
            if (blank(name)) {
                throw bad(at + ": a tool name is empty");
            }
            if (!seen.add(name)) {
                throw bad(at + ": \"" + name + "\" is listed twice");
            }
        }
    }

    private static void values(String at, List<HttpValueMatch> values) {
        List<HttpValueMatch> list = orEmpty(values);
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == null || blank(list.get(i).name())) {
                throw bad(at + "[" + i + "].name is required");
            }
        }
    }

    private static void cidrs(String at, List<String> cidrs) {
        for (String cidr : orEmpty(cidrs)) {
            if (!validCidr(cidr)) {
                throw bad(at + ": \"" + cidr + "\" is not a CIDR (e.g. 10.0.0.0/8 or 2001:db8::/32) or an IP address");
            }
        }
    }

    private static void domains(String at, List<String> domains) {
        for (String domain : orEmpty(domains)) {
            if (!validDomain(domain)) {
                throw bad(at + ": \"" + domain + "\" is not a domain (example.com) or a wildcard (*.example.com)");
            }
        }
    }

    static boolean validDomain(String domain) {
        if (domain == null) {
            return false;
        }
        String d = domain.strip().toLowerCase(java.util.Locale.ROOT);
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        if (d.startsWith("*.")) {
            d = d.substring(2);
        }
        if (d.isEmpty() || d.length() > 253) {
            return false;
        }
        for (String label : d.split("\\.", -1)) {
            if (!label.matches("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")) {
                return false;
            }
        }
        return true;
    }

    static boolean validCidr(String cidr) {
        if (cidr == null || cidr.isBlank()) {
            return false;
        }
        try {
            IpRange.parse(cidr);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void ports(String at, List<PortSpec> ports) {
        List<PortSpec> list = orEmpty(ports);
        for (int i = 0; i < list.size(); i++) {
            PortSpec port = list.get(i);
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

    private static String at(String prefix, String field) {
        return prefix == null || prefix.isEmpty() ? field : prefix + "." + field;
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
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
