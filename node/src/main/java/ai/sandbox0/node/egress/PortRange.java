package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.PortSpec;

/** Ports {@code start..end} of one transport, or of both when {@code transport} is null. */
public record PortRange(int start, int end, Transport transport) {

    public PortRange {
        if (start < 1 || end < start || end > 65535) {
            throw new IllegalArgumentException("invalid port range " + start + "-" + end);
        }
    }

    public static PortRange of(PortSpec spec) {
        Transport t = spec.protocol() == null || spec.protocol().isBlank() ? null
                : Transport.valueOf(spec.protocol().strip().toUpperCase(java.util.Locale.ROOT));
        int end = spec.endPort() == null ? spec.port() : spec.endPort();
        return new PortRange(spec.port(), end, t);
    }

    public boolean matches(int port, Transport t) {
        return (transport == null || transport == t) && port >= start && port <= end;
    }
}
