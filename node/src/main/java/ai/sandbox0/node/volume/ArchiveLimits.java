package ai.sandbox0.node.volume;

/** Bounds of one tar import: total bytes of file data, entries, bytes of one file. */
public record ArchiveLimits(long maxTotalBytes, long maxEntries, long maxFileBytes) {

    /** The spec's: 2 GiB in all, 100 000 entries, 100 MiB per file. */
    public static final ArchiveLimits DEFAULT = new ArchiveLimits(2L << 30, 100_000, 100L << 20);
}
