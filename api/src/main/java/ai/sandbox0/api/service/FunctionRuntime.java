package ai.sandbox0.api.service;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** The language a function runs in. */
public enum FunctionRuntime {
    @JsonProperty("python")
    PYTHON;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<FunctionRuntime> fromWire(String value) {
        return WireEnums.parse(FunctionRuntime.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static FunctionRuntime fromJson(String value) {
        return WireEnums.require(FunctionRuntime.class, value);
    }
}
