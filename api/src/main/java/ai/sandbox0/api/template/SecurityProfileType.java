package ai.sandbox0.api.template;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** Which seccomp or AppArmor profile applies. */
public enum SecurityProfileType {
    @JsonProperty("Unconfined")
    UNCONFINED,
    @JsonProperty("RuntimeDefault")
    RUNTIME_DEFAULT,
    @JsonProperty("Localhost")
    LOCALHOST;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<SecurityProfileType> fromWire(String value) {
        return WireEnums.parse(SecurityProfileType.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static SecurityProfileType fromJson(String value) {
        return WireEnums.require(SecurityProfileType.class, value);
    }
}
