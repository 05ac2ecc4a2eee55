package ai.sandbox0.api.volume;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/**
 * Who may mount a volume: one writer (RWO), many readers (ROX), many writers (RWX, not mountable into
 * sandboxes).
 */
public enum VolumeAccessMode {
    @JsonProperty("RWO")
    RWO,
    @JsonProperty("ROX")
    ROX,
    @JsonProperty("RWX")
    RWX;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<VolumeAccessMode> fromWire(String value) {
        return WireEnums.parse(VolumeAccessMode.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static VolumeAccessMode fromJson(String value) {
        return WireEnums.require(VolumeAccessMode.class, value);
    }
}
