package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.EgressCredentialRule;
import ai.sandbox0.api.network.HttpMatch;
import ai.sandbox0.api.network.HttpMethodPolicy;
import ai.sandbox0.api.network.HttpPathPolicy;
import ai.sandbox0.api.network.HttpValueMatch;
import ai.sandbox0.api.network.McpToolPolicy;
import ai.sandbox0.api.network.ProtocolRule;
import ai.sandbox0.api.network.ProtocolRuleProtocol;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The request-level part of the policy: which protocol rules and credential rule an inspected HTTP request
 * meets, and what they decide. Paths are compared decoded and normalized (no {@code //}, {@code .} or
 * {@code ..} segments), so a denied path cannot be reached under another spelling.
 */
final class HttpRules {

    private HttpRules() {
    }

    /** What of a request the rules look at. */
    record Request(String method, String path, Map<String, List<String>> query, HttpHeaders headers) {

        static Request of(String method, String uri, HttpHeaders headers) {
            String target = uri;
            int scheme = target.indexOf("://");
            if (scheme > 0 && scheme < 8) { // absolute-form: drop the scheme and authority
                int slash = target.indexOf('/', scheme + 3);
                target = slash < 0 ? "/" : target.substring(slash);
            }
            var decoder = new QueryStringDecoder(target);
            return new Request(method.toUpperCase(Locale.ROOT), normalize(decoder.path()), decoder.parameters(), headers);
        }
    }

    /** The name of the first {@code http} rule that denies the request, empty when none does. */
    static Optional<String> httpDenial(List<ProtocolRule> rules, Request r) {
        for (int i = 0; i < rules.size(); i++) {
            ProtocolRule rule = rules.get(i);
            if (rule.protocol() != ProtocolRuleProtocol.HTTP || rule.http() == null || !matches(rule.httpMatch(), r)) {
                continue;
            }
            if (denies(rule.http().methods(), r) || denies(rule.http().paths(), r)) {
                return Optional.of(name(rule, i));
            }
        }
        return Optional.empty();
    }

    /** The {@code mcp} rules that apply to the request. */
    static List<ProtocolRule> mcpRules(List<ProtocolRule> rules, Request r) {
        return rules.stream().filter(rule -> rule.protocol() == ProtocolRuleProtocol.MCP && rule.mcp() != null
                && rule.mcp().tools() != null && matches(rule.httpMatch(), r)).toList();
    }

    /** Whether some of the rules deny calling {@code tool}: denied before allowed, a non-empty allowed list allows only its own. */
    static boolean toolDenied(List<ProtocolRule> mcpRules, String tool) {
        for (ProtocolRule rule : mcpRules) {
            McpToolPolicy tools = rule.mcp().tools();
            if (l(tools.denied()).contains(tool) || !l(tools.allowed()).isEmpty() && !l(tools.allowed()).contains(tool)) {
                return true;
            }
        }
        return false;
    }

    /** The first credential rule, in declaration order, whose {@code httpMatch} the request meets (none: any). */
    static Optional<EgressCredentialRule> credentialRule(List<EgressCredentialRule> rules, Request r) {
        return rules.stream().filter(rule -> matches(rule.httpMatch(), r)).findFirst();
    }

    static boolean matches(HttpMatch m, Request r) {
        if (m == null) {
            return true;
        }
        if (!l(m.methods()).isEmpty() && l(m.methods()).stream().noneMatch(x -> x.equalsIgnoreCase(r.method()))) {
            return false;
        }
        boolean pathListed = !l(m.paths()).isEmpty() || !l(m.pathPrefixes()).isEmpty();
        if (pathListed && !l(m.paths()).contains(r.path()) && l(m.pathPrefixes()).stream().noneMatch(p -> prefixed(r.path(), p))) {
            return false;
        }
        for (HttpValueMatch q : l(m.query())) {
            if (!valueMatches(q, r.query().getOrDefault(q.name(), List.of()))) {
                return false;
            }
        }
        for (HttpValueMatch h : l(m.headers())) {
            if (!valueMatches(h, h.name() == null ? List.of() : r.headers().getAll(h.name()))) {
                return false;
            }
        }
        return true;
    }

    private static boolean valueMatches(HttpValueMatch m, List<String> actual) {
        if (!l(m.values()).isEmpty()) {
            return actual.stream().anyMatch(l(m.values())::contains);
        }
        return Boolean.FALSE.equals(m.present()) ? actual.isEmpty() : !actual.isEmpty();
    }

    private static boolean denies(HttpMethodPolicy p, Request r) {
        if (p == null) {
            return false;
        }
        if (l(p.denied()).stream().anyMatch(m -> m.equalsIgnoreCase(r.method()))) {
            return true;
        }
        return !l(p.allowed()).isEmpty() && l(p.allowed()).stream().noneMatch(m -> m.equalsIgnoreCase(r.method()));
    }

    private static boolean denies(HttpPathPolicy p, Request r) {
        if (p == null) {
            return false;
        }
        String path = r.path();
        if (l(p.denied()).contains(path) || l(p.deniedPrefixes()).stream().anyMatch(x -> prefixed(path, x))) {
            return true;
        }
        boolean listed = !l(p.allowed()).isEmpty() || !l(p.allowedPrefixes()).isEmpty();
        return listed && !l(p.allowed()).contains(path) && l(p.allowedPrefixes()).stream().noneMatch(x -> prefixed(path, x));
    }

    /** A plain prefix of the normalized path, as upstream compares them. */
    static boolean prefixed(String path, String prefix) {
        return !prefix.isEmpty() && path.startsWith(prefix);
    }

    /** Collapses empty and {@code .} segments, resolves {@code ..}, keeps a trailing slash. */
    static String normalize(String decodedPath) {
        if (decodedPath.isEmpty() || decodedPath.charAt(0) != '/') {
            decodedPath = "/" + decodedPath;
        }
        Deque<String> segments = new ArrayDeque<>();
        for (String s : decodedPath.split("/")) {
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                segments.pollLast();
            } else {
                segments.addLast(s);
            }
        }
        String joined = "/" + String.join("/", segments);
        return decodedPath.endsWith("/") && !joined.equals("/") ? joined + "/" : joined;
    }

    /** The API's records keep an absent list as null. */
    static <T> List<T> l(List<T> list) {
        return list == null ? List.of() : list;
    }

    static String name(ProtocolRule rule, int index) {
        return rule.name() != null && !rule.name().isBlank() ? rule.name() : "protocolRules[" + index + "]";
    }
}
