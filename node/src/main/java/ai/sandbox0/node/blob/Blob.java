package ai.sandbox0.node.blob;

/** A stored object: its content digest and its size in bytes. */
public record Blob(Digest digest, long size) {
}
