package ai.sandbox0.api.network;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** An application protocol the egress proxy can classify. */
public enum TrafficRuleAppProtocol {
    @JsonProperty("http")
    HTTP,
    @JsonProperty("tls")
    TLS,
    @JsonProperty("ssh")
    SSH,
    @JsonProperty("socks5")
    SOCKS5,
    @JsonProperty("mqtt")
    MQTT,
    @JsonProperty("redis")
    REDIS,
    @JsonProperty("amqp")
    AMQP,
    @JsonProperty("dns")
    DNS,
    @JsonProperty("mongodb")
    MONGODB,
    @JsonProperty("udp")
    UDP;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<TrafficRuleAppProtocol> fromWire(String value) {
        return WireEnums.parse(TrafficRuleAppProtocol.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static TrafficRuleAppProtocol fromJson(String value) {
        return WireEnums.require(TrafficRuleAppProtocol.class, value);
    }
}
