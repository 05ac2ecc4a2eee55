package ai.sandbox0.api.auth;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** Progress of a device login. */
public enum DeviceLoginStatus {
    @JsonProperty("pending")
    PENDING,
    @JsonProperty("slow_down")
    SLOW_DOWN,
    @JsonProperty("completed")
    COMPLETED;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<DeviceLoginStatus> fromWire(String value) {
        return WireEnums.parse(DeviceLoginStatus.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static DeviceLoginStatus fromJson(String value) {
        return WireEnums.require(DeviceLoginStatus.class, value);
    }
}
