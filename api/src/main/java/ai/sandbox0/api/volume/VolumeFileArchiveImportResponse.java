package ai.sandbox0.api.volume;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** What a tar import into a volume created. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record VolumeFileArchiveImportResponse(
        long files,
        long directories,
        long symlinks,
        long bytes) {
}
