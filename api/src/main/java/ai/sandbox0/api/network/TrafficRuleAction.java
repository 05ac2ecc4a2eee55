package ai.sandbox0.api.network;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** What a traffic rule does with matching traffic. */
public enum TrafficRuleAction {
    @JsonProperty("allow")
    ALLOW,
    @JsonProperty("deny")
    DENY;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<TrafficRuleAction> fromWire(String value) {
        return WireEnums.parse(TrafficRuleAction.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static TrafficRuleAction fromJson(String value) {
        return WireEnums.require(TrafficRuleAction.class, value);
    }
}
