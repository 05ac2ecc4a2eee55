package ai.sandbox0.api.sandbox;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** Resource usage of one process (context) or its container. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ResourceUsage(
        Double cpuPercent,
        Long memoryRss,
        Long memoryVms,
        Integer openFiles,
        Integer threadCount,
        Long containerMemoryUsage,
        Long containerMemoryLimit,
        Long containerMemoryWorkingSet,
        Long ioReadBytes,
        Long ioWriteBytes,
        Long memoryBytes) {
}
