/**
 * One host's sandboxes. The facade package is exported: {@code Node} with the values that cross its
 * boundary (layer chains, a running sandbox's address and token, resources); and the blob store's
 * interface, so the server can keep layers elsewhere (an S3 bucket) without the node knowing S3; and the
 * egress data plane's policy model and hooks, so the server can audit, meter and resolve credentials for it.
 * Images, layers, runc, cgroups, networking and pools are the node's own business; the compiler keeps
 * them so.
 */
module ai.sandbox0.node {
    requires transitive ai.sandbox0.api;
    requires org.slf4j;
    requires java.net.http;
    requires com.github.luben.zstd_jni;
    requires com.google.crypto.tink;
    requires io.netty.buffer;
    requires io.netty.codec;
    requires io.netty.codec.http;
    requires io.netty.codec.http2;
    requires io.netty.common;
    requires io.netty.handler;
    requires io.netty.handler.proxy;
    requires io.netty.resolver;
    requires io.netty.transport;
    requires io.netty.transport.classes.epoll;
    requires io.netty.transport.unix.common;
    requires org.bouncycastle.provider;
    requires org.bouncycastle.pkix;
    requires org.apache.sshd.osgi;

    exports ai.sandbox0.node;
    exports ai.sandbox0.node.blob;
    exports ai.sandbox0.node.egress;
    exports ai.sandbox0.node.volume;
}
