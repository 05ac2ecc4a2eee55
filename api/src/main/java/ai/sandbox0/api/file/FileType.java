package ai.sandbox0.api.file;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code FileInfo.type}, from lstat: a symlink is reported as such, not followed. */
public enum FileType {
    @JsonProperty("file") FILE,
    @JsonProperty("dir") DIR,
    @JsonProperty("symlink") SYMLINK
}
