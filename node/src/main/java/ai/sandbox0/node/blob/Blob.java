package ai.sandbox0.node.blob;

import ai.sandbox0.node.Digest;

/** A stored object: its content digest and its size in bytes. */
public record Blob(Digest digest, long size) {
}
