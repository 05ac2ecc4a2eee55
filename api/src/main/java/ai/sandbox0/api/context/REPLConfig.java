package ai.sandbox0.api.context;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** {@code REPLConfig}: a custom interpreter definition ({@code name} and {@code candidates} required). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record REPLConfig(
        String name,
        String displayName,
        String description,
        List<ExecCandidate> candidates,
        List<REPLEnvVar> env,
        String defaultTerm,
        REPLPromptConfig prompt,
        REPLReadyConfig ready) {
}
