package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** A team quota limit. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TeamQuota(
        String teamId,
        QuotaDimension dimension,
        // Null means unlimited, and is written as an explicit null as upstream does.
        @JsonInclude(JsonInclude.Include.ALWAYS) Long limitValue) {
}
