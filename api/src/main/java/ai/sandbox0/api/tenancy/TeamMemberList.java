package ai.sandbox0.api.tenancy;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** The payload of {@code GET /teams/{id}/members}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TeamMemberList(
        List<TeamMember> members) {

    public TeamMemberList {
        members = Copies.list(members);
    }
}
