package ai.sandbox0.api.network;

/** Feeds SOCKS5, MQTT and Redis authentication; an empty object. */
public record UsernamePasswordProjection() {
}
