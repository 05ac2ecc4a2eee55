package ai.sandbox0.api.tenancy;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** The payload of {@code GET /regions}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RegionList(
        List<Region> regions) {

    public RegionList {
        regions = Copies.list(regions);
    }
}
