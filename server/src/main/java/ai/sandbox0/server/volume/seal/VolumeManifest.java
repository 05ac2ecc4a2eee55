package ai.sandbox0.server.volume.seal;

import java.time.Instant;
import java.util.List;

/**
 * A volume's whole state at one sealed moment: every directory, symbolic link and file with its owner,
 * mode and time, and each file's content as the digests of its {@link VolumeObjects#CHUNK_BYTES} chunks in
 * the volume object store. Immutable once stored; stored encrypted, under its own digest.
 */
public record VolumeManifest(int version, String volumeId, long seq, Instant sealedAt, List<Entry> entries) {

    public static final int VERSION = 1;

    public VolumeManifest {
        entries = List.copyOf(entries);
    }

    /** One path below the root (the root itself is the entry {@code /}). */
    public record Entry(String path, Type type, int mode, long uid, long gid, long size, Instant modified,
            List<String> chunks, String target) {

        public Entry {
            chunks = chunks == null ? List.of() : List.copyOf(chunks);
        }

        /** Whether {@code other} has the same content and metadata as this. */
        boolean unchanged(Entry other) {
            return other != null && type == other.type && size == other.size && modified.equals(other.modified);
        }
    }

    public enum Type { DIRECTORY, FILE, SYMLINK }

    /** Whether both describe the same tree (their seq and time aside). */
    public boolean sameTree(VolumeManifest other) {
        return other != null && entries.equals(other.entries);
    }

    /** Every object the manifest needs, besides itself. */
    public java.util.stream.Stream<String> chunks() {
        return entries.stream().flatMap(e -> e.chunks().stream());
    }
}
