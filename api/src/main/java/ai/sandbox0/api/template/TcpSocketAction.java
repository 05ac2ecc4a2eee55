package ai.sandbox0.api.template;

/** A probe that opens a TCP connection. */
public record TcpSocketAction(
        Integer port,
        String host) {
}
