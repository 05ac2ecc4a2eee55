package ai.sandbox0.api.network;

/** A port or port range, optionally for one transport. */
public record PortSpec(
        Integer port,
        // tcp or udp.
        String protocol,
        // Inclusive end of a range.
        Integer endPort) {
}
