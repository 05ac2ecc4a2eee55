package ai.sandbox0.server.volume.seal;

import java.time.Instant;
import java.util.List;

/**
 * A volume's whole state at one sealed moment ({@code sealedAt}, read before the snapshot was taken): every directory, symbolic link and file with its owner,
 * mode and time, and each file's content as the digests of its {@link VolumeObjects#CHUNK_BYTES} chunks in
 * the volume object store. Immutable once stored; stored encrypted, under its own digest.
 */
public record VolumeManifest(int version, String volumeId, long seq, Instant sealedAt, List<Entry> entries) {

    public static final int VERSION = 1;
    /** Wider than any filesystem's timestamp tick and than the gap between a snapshot and its seal's clock read. */
    static final java.time.Duration RACY = java.time.Duration.ofSeconds(2);

    public VolumeManifest {
        entries = List.copyOf(entries);
    }

    /** One path below the root (the root itself is the entry {@code /}). */
    public record Entry(String path, Type type, int mode, long uid, long gid, long size, Instant modified,
            List<String> chunks, String target) {

        public Entry {
            chunks = chunks == null ? List.of() : List.copyOf(chunks);
        }

        /**
         * Whether this file (as seen now) still has the content {@code before} describes, judged by size and
         * modification time. Timestamps are coarse (a clock tick), so a file rewritten at the same size within
         * a tick of the last seal would look unchanged: one modified within {@link #RACY} of that seal's
         * moment is read again instead (as git does with racily clean index entries).
         */
        boolean unchanged(Entry before, Instant beforeSealed) {
            return before != null && type == before.type && size == before.size && modified.equals(before.modified)
                    && before.modified.isBefore(beforeSealed.minus(RACY));
        }
    }

    public enum Type { DIRECTORY, FILE, SYMLINK }

    /** Whether both describe the same tree (their seq and time aside). */
    public boolean sameTree(VolumeManifest other) {
        return other != null && entries.equals(other.entries);
    }

    /** The sum of the files' sizes. */
    public long logicalBytes() {
        return entries.stream().filter(e -> e.type() == Type.FILE).mapToLong(Entry::size).sum();
    }

    /** Every object the manifest needs, besides itself. */
    public java.util.stream.Stream<String> chunks() {
        return entries.stream().flatMap(e -> e.chunks().stream());
    }
}
