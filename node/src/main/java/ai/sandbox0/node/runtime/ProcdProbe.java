package ai.sandbox0.node.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Asks procd over the sandbox's veth address whether it listens, serves ({@code /healthz}) or has
 * warmed up ({@code /readyz}). Raw sockets: the probes run every few milliseconds while a sandbox
 * starts and need no client state.
 */
public final class ProcdProbe {

    private static final byte[] REQUEST =
            "GET /healthz HTTP/1.1\r\nHost: procd\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WARM_REQUEST =
            "GET /readyz HTTP/1.1\r\nHost: procd\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private ProcdProbe() {
    }

    /**
     * True when procd's port accepts a connection over the veth. The kernel completes the handshake
     * for a listening socket, so this costs procd nothing; procd binds its port as the last step of
     * its start, and whatever connects then is served as soon as its dispatcher runs. A health
     * request instead would be procd's first HTTP exchange, tens of milliseconds interpreted, on the
     * way to the claim's answer.
     */
    public static boolean listening(String address, int port, int timeoutMillis) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), timeoutMillis);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** True when procd answered 200: it serves requests. */
    public static boolean healthy(String address, int port, int timeoutMillis) {
        return ok(REQUEST, address, port, timeoutMillis);
    }

    /** True when procd's {@code /readyz} answered 200: it also finished warming its request path up. */
    public static boolean warm(String address, int port, int timeoutMillis) {
        return ok(WARM_REQUEST, address, port, timeoutMillis);
    }

    private static boolean ok(byte[] request, String address, int port, int timeoutMillis) {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(address, port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            s.getOutputStream().write(request);
            return statusLine(s.getInputStream()).matches("HTTP/1\\.[01] 200.*");
        } catch (IOException e) {
            return false;
        }
    }

    private static String statusLine(InputStream in) throws IOException {
        var sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n' && sb.length() < 200) {
            sb.append((char) c);
        }
        return sb.toString().strip();
    }
}
