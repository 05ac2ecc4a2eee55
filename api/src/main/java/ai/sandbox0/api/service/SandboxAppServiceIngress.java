package ai.sandbox0.api.service;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** Whether and how a service is reachable from outside. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxAppServiceIngress(
        @JsonProperty("public") Boolean isPublic,
        List<SandboxAppServiceRoute> routes) {

    public SandboxAppServiceIngress {
        routes = Copies.list(routes);
    }
}
