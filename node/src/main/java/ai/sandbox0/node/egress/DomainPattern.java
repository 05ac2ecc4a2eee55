package ai.sandbox0.node.egress;

import java.util.Locale;

/**
 * A domain of a rule: {@code example.com} matches that name only, {@code *.example.com} matches
 * {@code example.com} and every name below it. Names compare case-insensitively, without a trailing dot.
 */
public record DomainPattern(String name, boolean withSubdomains) {

    public static DomainPattern parse(String pattern) {
        String p = normalize(pattern);
        if (p.startsWith("*.")) {
            String suffix = p.substring(2);
            if (suffix.isEmpty() || suffix.contains("*")) {
                throw new IllegalArgumentException("invalid wildcard domain: " + pattern);
            }
            return new DomainPattern(suffix, true);
        }
        if (p.isEmpty() || p.contains("*")) {
            throw new IllegalArgumentException("invalid domain: " + pattern);
        }
        return new DomainPattern(p, false);
    }

    public boolean matches(String host) {
        if (host == null) {
            return false;
        }
        String h = normalize(host);
        return h.equals(name) || withSubdomains && h.endsWith("." + name);
    }

    /** Lower case, no surrounding blanks, no trailing dot (a fully qualified name is the same name). */
    public static String normalize(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    @Override
    public String toString() {
        return withSubdomains ? "*." + name : name;
    }
}
