package ai.sandbox0.api.network;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** The protocol a credential rule injects into. */
public enum EgressAuthProtocol {
    @JsonProperty("http")
    HTTP,
    @JsonProperty("https")
    HTTPS,
    @JsonProperty("grpc")
    GRPC,
    @JsonProperty("tls")
    TLS,
    @JsonProperty("ssh")
    SSH,
    @JsonProperty("socks5")
    SOCKS5,
    @JsonProperty("mqtt")
    MQTT,
    @JsonProperty("redis")
    REDIS;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<EgressAuthProtocol> fromWire(String value) {
        return WireEnums.parse(EgressAuthProtocol.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static EgressAuthProtocol fromJson(String value) {
        return WireEnums.require(EgressAuthProtocol.class, value);
    }
}
