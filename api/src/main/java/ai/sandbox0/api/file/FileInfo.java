package ai.sandbox0.api.file;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/**
 * {@code FileInfo}: {@code mode} is the octal permission string ({@code "0644"}); {@code link_target}
 * only on stat of a symlink. {@code is_link} is named explicitly because a boolean {@code isX}
 * accessor would otherwise read as a property {@code x}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"name", "path", "type", "size", "mode", "mod_time", "is_link", "link_target"})
public record FileInfo(
        String name,
        String path,
        FileType type,
        long size,
        String mode,
        Instant modTime,
        @JsonProperty("is_link") boolean isLink,
        String linkTarget) {
}
