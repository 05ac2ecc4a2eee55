package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** A team quota limit, and what the team uses of it. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TeamQuota(
        String teamId,
        QuotaDimension dimension,
        // Null means unlimited, and is written as an explicit null as upstream does.
        @JsonInclude(JsonInclude.Include.ALWAYS) Long limitValue,
        // What the team uses of the dimension now, in its unit; absent where this server does not measure it.
        // Not in upstream's schema: an addition clients ignore.
        Long usageValue) {

    public TeamQuota(String teamId, QuotaDimension dimension, Long limitValue) {
        this(teamId, dimension, limitValue, null);
    }
}
