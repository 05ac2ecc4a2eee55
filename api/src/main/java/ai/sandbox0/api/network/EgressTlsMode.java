package ai.sandbox0.api.network;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** Whether the egress proxy passes TLS through or terminates and re-originates it. */
public enum EgressTlsMode {
    @JsonProperty("passthrough")
    PASSTHROUGH,
    @JsonProperty("terminate-reoriginate")
    TERMINATE_REORIGINATE;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<EgressTlsMode> fromWire(String value) {
        return WireEnums.parse(EgressTlsMode.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static EgressTlsMode fromJson(String value) {
        return WireEnums.require(EgressTlsMode.class, value);
    }
}
