package ai.sandbox0.server.service;

import ai.sandbox0.api.service.SandboxAppService;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where public services are reached (spec §7.3): hosts {@code <sandbox_id>--p<port>.<region>.<root domain>} on
 * the exposure listener. {@code publicPort} is the port clients connect to (omitted from URLs when it is the
 * scheme's default), which differs from the listener's behind a load balancer.
 */
public record ExposureAddress(String region, String rootDomain, boolean tls, int publicPort) {

    private static final String PORT_DELIMITER = "--p";
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final int MAX_LABEL = 63;

    /** A sandbox's port as a public host names it. */
    public record Target(String sandboxId, int port) {
    }

    public ExposureAddress {
        rootDomain = trimDots(rootDomain.strip().toLowerCase(Locale.ROOT));
        if (publicPort < 1 || publicPort > 65535) {
            throw new IllegalArgumentException("the exposure port must be 1..65535, got " + publicPort);
        }
    }

    /** The suffix every public host ends with: {@code <region>.<root domain>}. */
    public String domain() {
        return region + "." + rootDomain;
    }

    /**
     * What the API reports as {@code exposure_domain}: the domain, with the port when clients must name it, so
     * that every {@code public_url} is {@code <scheme>://<id>--p<port>.<exposure_domain>}.
     */
    public String exposureDomain() {
        return domain() + (publicPort == (tls ? 443 : 80) ? "" : ":" + publicPort);
    }

    /** The service's public entry point, when it is public and its host label is a valid DNS label. */
    public Optional<String> publicUrl(String sandboxId, SandboxAppService service) {
        if (service.ingress() == null || !Boolean.TRUE.equals(service.ingress().isPublic()) || service.port() == null) {
            return Optional.empty();
        }
        String label = sandboxId + PORT_DELIMITER + service.port();
        if (label.length() > MAX_LABEL || !DNS_LABEL.matcher(sandboxId).matches()) {
            return Optional.empty();
        }
        return Optional.of((tls ? "https://" : "http://") + label + "." + exposureDomain());
    }

    /**
     * The sandbox and port a request's host names (an HTTP/1.1 {@code Host} or an HTTP/2 authority, with or
     * without a port): empty when the host is not under this domain or its label is malformed.
     */
    public Optional<Target> parse(String host) {
        if (host == null) {
            return Optional.empty();
        }
        String h = host.strip().toLowerCase(Locale.ROOT);
        int colon = h.lastIndexOf(':');
        if (colon >= 0 && h.indexOf(']') < colon) {
            h = h.substring(0, colon);
        }
        h = trimDots(h);
        String suffix = "." + domain();
        if (!h.endsWith(suffix)) {
            return Optional.empty();
        }
        String label = h.substring(0, h.length() - suffix.length());
        int split = label.lastIndexOf(PORT_DELIMITER);
        if (label.isEmpty() || label.contains(".") || split <= 0) {
            return Optional.empty();
        }
        String sandboxId = label.substring(0, split);
        String digits = label.substring(split + PORT_DELIMITER.length());
        if (!DNS_LABEL.matcher(sandboxId).matches() || digits.isEmpty() || digits.length() > 5
                || !digits.chars().allMatch(Character::isDigit)) {
            return Optional.empty();
        }
        int port = Integer.parseInt(digits);
        return port >= 1 && port <= 65535 ? Optional.of(new Target(sandboxId, port)) : Optional.empty();
    }

    private static String trimDots(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) == '.') {
            start++;
        }
        while (end > start && s.charAt(end - 1) == '.') {
            end--;
        }
        return s.substring(start, end);
    }
}
