package ai.sandbox0.api.network;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** What happens to traffic when credentials cannot be resolved. */
public enum EgressAuthFailurePolicy {
    @JsonProperty("fail-closed")
    FAIL_CLOSED,
    @JsonProperty("fail-open")
    FAIL_OPEN;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<EgressAuthFailurePolicy> fromWire(String value) {
        return WireEnums.parse(EgressAuthFailurePolicy.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static EgressAuthFailurePolicy fromJson(String value) {
        return WireEnums.require(EgressAuthFailurePolicy.class, value);
    }
}
