package ai.sandbox0.api.service;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** How a public route authenticates callers. */
public enum RouteAuthMode {
    @JsonProperty("none")
    NONE,
    @JsonProperty("bearer")
    BEARER,
    @JsonProperty("header")
    HEADER;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<RouteAuthMode> fromWire(String value) {
        return WireEnums.parse(RouteAuthMode.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static RouteAuthMode fromJson(String value) {
        return WireEnums.require(RouteAuthMode.class, value);
    }
}
