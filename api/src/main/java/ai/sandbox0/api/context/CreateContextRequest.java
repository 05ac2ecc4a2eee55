package ai.sandbox0.api.context;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.Map;

/** {@code CreateContextRequest}: body of {@code POST …/contexts}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CreateContextRequest(
        ProcessType type,
        CreateREPLContextRequest repl,
        CreateCMDContextRequest cmd,
        Boolean waitUntilDone,
        String cwd,
        Map<String, String> envVars,
        PTYSize ptySize,
        Integer idleTimeoutSec,
        Integer ttlSec) {
}
