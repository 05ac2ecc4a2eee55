package ai.sandbox0.api.sandbox;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** Resource usage of a whole sandbox, as reported when it pauses. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxResourceUsage(
        Long containerMemoryUsage,
        Long containerMemoryLimit,
        Long containerMemoryWorkingSet,
        Long totalMemoryRss,
        Long totalMemoryVms,
        Integer totalOpenFiles,
        Integer totalThreadCount,
        Long totalIoReadBytes,
        Long totalIoWriteBytes,
        Integer contextCount,
        Integer runningContextCount,
        Integer pausedContextCount,
        List<ContextResourceUsage> contexts) {

    public SandboxResourceUsage {
        contexts = Copies.list(contexts);
    }
}
