package ai.sandbox0.node.volume;

/** What a tar import wrote. */
public record ArchiveCounts(long files, long directories, long symlinks, long bytes) {
}
