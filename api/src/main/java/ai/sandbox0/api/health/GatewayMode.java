package ai.sandbox0.api.health;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** Whether this gateway serves one region directly or fronts several. */
public enum GatewayMode {
    @JsonProperty("direct")
    DIRECT,
    @JsonProperty("global")
    GLOBAL;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<GatewayMode> fromWire(String value) {
        return WireEnums.parse(GatewayMode.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static GatewayMode fromJson(String value) {
        return WireEnums.require(GatewayMode.class, value);
    }
}
