package ai.sandbox0.api.tenancy;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** A role in a team; each grants a fixed set of permissions. */
public enum TeamRole {
    @JsonProperty("admin")
    ADMIN,
    @JsonProperty("developer")
    DEVELOPER,
    @JsonProperty("builder")
    BUILDER,
    @JsonProperty("viewer")
    VIEWER;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<TeamRole> fromWire(String value) {
        return WireEnums.parse(TeamRole.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static TeamRole fromJson(String value) {
        return WireEnums.require(TeamRole.class, value);
    }
}
