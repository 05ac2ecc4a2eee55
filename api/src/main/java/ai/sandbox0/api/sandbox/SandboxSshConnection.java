package ai.sandbox0.api.sandbox;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** Where to SSH into a sandbox; the SSH user name is the sandbox id. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxSshConnection(
        String host,
        int port,
        String username) {
}
