/**
 * One host's sandboxes. Only the facade package is exported: {@code Node} with the values that cross
 * its boundary (layer chains, a running sandbox's address and token, resources). Images, layers, blobs,
 * runc, cgroups, networking and pools are the node's own business; the compiler keeps them so.
 */
module ai.sandbox0.node {
    requires transitive ai.sandbox0.api;
    requires org.slf4j;
    requires java.net.http;
    requires com.github.luben.zstd_jni;

    exports ai.sandbox0.node;
}
