package ai.sandbox0.api.tenancy;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** A team quota dimension, as used in {@code /api/v1/quotas/{dimension}}. */
public enum QuotaDimension {
    @JsonProperty("active_sandboxes")
    ACTIVE_SANDBOXES,
    @JsonProperty("cpu_millicpu")
    CPU_MILLICPU,
    @JsonProperty("memory_mib")
    MEMORY_MIB,
    @JsonProperty("volume_storage_gb")
    VOLUME_STORAGE_GB,
    @JsonProperty("snapshot_storage_gb")
    SNAPSHOT_STORAGE_GB,
    @JsonProperty("egress")
    EGRESS,
    @JsonProperty("ingress")
    INGRESS;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<QuotaDimension> fromWire(String value) {
        return WireEnums.parse(QuotaDimension.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static QuotaDimension fromJson(String value) {
        return WireEnums.require(QuotaDimension.class, value);
    }
}
