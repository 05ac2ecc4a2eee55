package ai.sandbox0.api.network;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** The default egress decision of a network policy. */
public enum NetworkMode {
    @JsonProperty("allow-all")
    ALLOW_ALL,
    @JsonProperty("block-all")
    BLOCK_ALL;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<NetworkMode> fromWire(String value) {
        return WireEnums.parse(NetworkMode.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static NetworkMode fromJson(String value) {
        return WireEnums.require(NetworkMode.class, value);
    }
}
