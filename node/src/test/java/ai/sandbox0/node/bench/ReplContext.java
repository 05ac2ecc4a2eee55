package ai.sandbox0.node.bench;

import ai.sandbox0.node.Sandbox;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Creates a REPL context (procd's default, python) in a sandbox through procd's API, over the sandbox's
 * address with its token. One connection per request, closed after it: a pooled client would keep an
 * idle connection open to every sandbox, which an idle sandbox does not have.
 */
final class ReplContext {

    private static final String BODY = "{\"type\":\"repl\",\"repl\":{\"alias\":\"python\"}}";

    private ReplContext() {
    }

    /** Creates the context and fails unless procd answered 201 with it running. */
    static void create(Sandbox s) throws IOException {
        String request = "POST /api/v1/contexts HTTP/1.1\r\nHost: procd\r\nConnection: close\r\n"
                + "Authorization: Bearer " + s.token() + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + BODY.length() + "\r\n\r\n" + BODY;
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(s.address(), s.procdPort()), 5000);
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!response.startsWith("HTTP/1.1 201") || !response.contains("\"running\":true")) {
                throw new IOException(s.id() + ": creating a REPL context answered "
                        + response.lines().findFirst().orElse("nothing") + ": "
                        + response.substring(Math.max(0, response.indexOf("\r\n\r\n"))).strip());
            }
        }
    }
}
