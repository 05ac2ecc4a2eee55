/** Gateway and manager: the HTTP API, auth, the sandbox lifecycle, templates and the store. */
module ai.sandbox0.server {
    requires transitive ai.sandbox0.api;
    requires ai.sandbox0.node;
    requires org.slf4j;
    requires java.net.http;
    requires java.sql;
    requires com.zaxxer.hikari;
    requires micrometer.core;
    requires micrometer.registry.prometheus;
    requires org.eclipse.jetty.http;
    requires org.eclipse.jetty.io;
    requires org.eclipse.jetty.server;
    requires org.eclipse.jetty.util;
    requires org.eclipse.jetty.websocket.api;
    requires org.eclipse.jetty.websocket.server;
    // Public services: the reverse proxy into sandboxes and the client side of their WebSockets.
    requires org.eclipse.jetty.proxy;
    requires org.eclipse.jetty.client;
    requires org.eclipse.jetty.websocket.client;
    // gRPC needs HTTP/2 into the sandbox too: h2c with prior knowledge.
    requires org.eclipse.jetty.http2.client;
    requires org.eclipse.jetty.http2.client.transport;
    // The services exposure listener: HTTP/2 over TLS, chosen by ALPN, and cleartext h2c.
    requires org.eclipse.jetty.http2.server;
    requires org.eclipse.jetty.alpn.server;
    requires flyway.core;
    requires org.jdbi.v3.core;
    // Bouncy Castle, which sshd needs for Ed25519 keys, is a run-time jar it finds itself.
    requires org.apache.sshd.osgi;
    requires org.xerial.sqlitejdbc;
    requires com.nimbusds.jose.jwt;
    requires oauth2.oidc.sdk;
    requires org.bouncycastle.provider;
    // Credential sources: PEM certificates and keys, and Tink's AEAD for their secrets at rest.
    requires org.bouncycastle.pkix;
    requires com.google.crypto.tink;
    // Services' rate limits in Redis; its connection pool's settings are commons-pool2's.
    requires redis.clients.jedis;
    requires org.apache.commons.pool2;
    requires software.amazon.awssdk.auth;
    requires software.amazon.awssdk.awscore;
    requires software.amazon.awssdk.core;
    requires software.amazon.awssdk.http;
    requires software.amazon.awssdk.http.urlconnection;
    requires software.amazon.awssdk.regions;
    requires software.amazon.awssdk.services.s3;

    exports ai.sandbox0.server;
}
