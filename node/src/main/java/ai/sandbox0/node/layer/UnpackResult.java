package ai.sandbox0.node.layer;

import ai.sandbox0.node.Digest;

/** What an extraction wrote: the digest of the uncompressed tar it read, its entries and file bytes. */
public record UnpackResult(Digest diffId, long entries, long bytes) {
}
