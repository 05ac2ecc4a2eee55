package ai.sandbox0.api.network;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** Whether a credential rule is active. */
public enum EgressAuthRolloutMode {
    @JsonProperty("enabled")
    ENABLED,
    @JsonProperty("disabled")
    DISABLED;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<EgressAuthRolloutMode> fromWire(String value) {
        return WireEnums.parse(EgressAuthRolloutMode.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static EgressAuthRolloutMode fromJson(String value) {
        return WireEnums.require(EgressAuthRolloutMode.class, value);
    }
}
