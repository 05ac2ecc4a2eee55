package ai.sandbox0.api.file;

import java.util.List;

/** {@code data} of {@code GET …/files/list}: one level. */
public record FileEntries(List<FileInfo> entries) {
}
