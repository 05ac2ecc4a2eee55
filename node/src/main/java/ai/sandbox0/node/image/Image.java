package ai.sandbox0.node.image;

import ai.sandbox0.node.LayerChain;

/**
 * A root filesystem ready to stack: its layers (in the node's blob store) and its config.
 *
 * @param id the image's identity: the digest of its OCI config, or {@code builtin:default@<recipe>}
 * @param reference what it was resolved from ({@code default}, {@code oci:/dir:tag}, a registry ref)
 */
public record Image(String id, String reference, LayerChain chain, ImageConfig config) {
}
