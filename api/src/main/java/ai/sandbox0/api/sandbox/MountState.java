package ai.sandbox0.api.sandbox;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** Progress of a claim-time volume mount. */
public enum MountState {
    @JsonProperty("pending")
    PENDING,
    @JsonProperty("mounting")
    MOUNTING,
    @JsonProperty("mounted")
    MOUNTED,
    @JsonProperty("failed")
    FAILED;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<MountState> fromWire(String value) {
        return WireEnums.parse(MountState.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static MountState fromJson(String value) {
        return WireEnums.require(MountState.class, value);
    }
}
