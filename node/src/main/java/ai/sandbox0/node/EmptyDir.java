package ai.sandbox0.node;

/**
 * A scratch directory at {@code mountPath} inside a sandbox, on a disk of its own of {@code bytes}: empty
 * at every start of a run, never part of a checkpoint, and counted against nothing else.
 */
public record EmptyDir(String mountPath, long bytes) {

    public EmptyDir {
        if (mountPath == null || !mountPath.startsWith("/") || mountPath.equals("/")) {
            throw new IllegalArgumentException("an empty dir's mount path must be absolute and not /: " + mountPath);
        }
        if (bytes <= 0) {
            throw new IllegalArgumentException("an empty dir's size must be > 0, got " + bytes);
        }
    }
}
