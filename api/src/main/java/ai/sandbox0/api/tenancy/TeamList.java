package ai.sandbox0.api.tenancy;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** The payload of {@code GET /teams}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TeamList(
        List<Team> teams) {

    public TeamList {
        teams = Copies.list(teams);
    }
}
