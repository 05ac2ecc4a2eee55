package ai.sandbox0.api.context;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * {@code ContextInputRequest} of {@code /input} and {@code /exec}. {@code request_id} is not in the
 * public schema; the agent accepts it (or {@code requestId}) on {@code /input} so that a relayed
 * input can be answered with a {@code done} frame.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ContextInputRequest(String data, @JsonAlias("requestId") String requestId) {

    public ContextInputRequest(String data) {
        this(data, null);
    }
}
