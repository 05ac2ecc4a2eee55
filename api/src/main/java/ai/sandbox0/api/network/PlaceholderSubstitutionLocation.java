package ai.sandbox0.api.network;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** Where in an HTTP request a placeholder may be replaced. */
public enum PlaceholderSubstitutionLocation {
    @JsonProperty("header")
    HEADER,
    @JsonProperty("query")
    QUERY,
    @JsonProperty("body")
    BODY;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<PlaceholderSubstitutionLocation> fromWire(String value) {
        return WireEnums.parse(PlaceholderSubstitutionLocation.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static PlaceholderSubstitutionLocation fromJson(String value) {
        return WireEnums.require(PlaceholderSubstitutionLocation.class, value);
    }
}
