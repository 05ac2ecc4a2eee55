package ai.sandbox0.api.sandbox;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/**
 * The lifecycle phase of a sandbox. {@code pausing} and {@code resuming} are in the server spec, not in the
 * 0.9.5 SDK.
 */
public enum SandboxLifecycleStatus {
    @JsonProperty("starting")
    STARTING,
    @JsonProperty("running")
    RUNNING,
    @JsonProperty("pausing")
    PAUSING,
    @JsonProperty("paused")
    PAUSED,
    @JsonProperty("resuming")
    RESUMING,
    @JsonProperty("terminating")
    TERMINATING,
    @JsonProperty("failed")
    FAILED;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<SandboxLifecycleStatus> fromWire(String value) {
        return WireEnums.parse(SandboxLifecycleStatus.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static SandboxLifecycleStatus fromJson(String value) {
        return WireEnums.require(SandboxLifecycleStatus.class, value);
    }
}
