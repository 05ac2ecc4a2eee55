package ai.sandbox0.api.network;

/** A customer SOCKS5 proxy that allowed TCP egress goes through. */
public record EgressProxyPolicy(
        EgressProxyType type,
        // host:port
        String address,
        // A binding with a username_password projection.
        String credentialRef) {
}
