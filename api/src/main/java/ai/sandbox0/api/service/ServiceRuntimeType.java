package ai.sandbox0.api.service;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** How a service process is run: started on demand, run by the user, or a function. */
public enum ServiceRuntimeType {
    @JsonProperty("cmd")
    CMD,
    @JsonProperty("manual")
    MANUAL,
    @JsonProperty("function")
    FUNCTION;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<ServiceRuntimeType> fromWire(String value) {
        return WireEnums.parse(ServiceRuntimeType.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static ServiceRuntimeType fromJson(String value) {
        return WireEnums.require(ServiceRuntimeType.class, value);
    }
}
