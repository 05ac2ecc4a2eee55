package ai.sandbox0.server.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, one request per connection. The JDK's client refuses what these tests must
 * send (invalid percent-escapes and raw bytes in the path, arbitrary header bytes, chunked bodies on demand),
 * so requests are written byte for byte here. A reply that does not arrive within the timeout is a hang.
 */
final class RawHttp {

    /** What came back: the status, headers with lower-case names, and the body (de-chunked). */
    record Reply(int status, Map<String, String> headers, byte[] body) {

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** The reply did not arrive in time. */
    static final class Hang extends AssertionError {
        Hang(String message) {
            super(message);
        }
    }

    private final InetSocketAddress server;
    private final Duration timeout;

    RawHttp(InetSocketAddress server, Duration timeout) {
        this.server = server;
        this.timeout = timeout;
    }

    /**
     * Sends {@code method target} with {@code headers} (names and values as raw bytes) and {@code body},
     * framed with Content-Length, or chunked when asked.
     */
    Reply exchange(String method, byte[] target, Map<String, byte[]> headers, byte[] body, boolean chunked)
            throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (var socket = new Socket()) {
            socket.connect(server, (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            var head = new ByteArrayOutputStream();
            head.writeBytes((method + " ").getBytes(StandardCharsets.US_ASCII));
            head.writeBytes(target);
            head.writeBytes(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".getBytes(StandardCharsets.US_ASCII));
            headers.forEach((name, value) -> {
                head.writeBytes(name.getBytes(StandardCharsets.US_ASCII));
                head.writeBytes(": ".getBytes(StandardCharsets.US_ASCII));
                head.writeBytes(value);
                head.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            });
            String framing = chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Content-Length: " + body.length + "\r\n\r\n";
            head.writeBytes(framing.getBytes(StandardCharsets.US_ASCII));
            // The server may answer (413, 401) and close before reading a large body: write it on the side so
            // that the reply is read as soon as it comes, whatever happens to the rest of the body.
            OutputStream out = socket.getOutputStream();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    out.write(head.toByteArray());
                    if (chunked) {
                        writeChunked(out, body);
                    } else {
                        out.write(body);
                    }
                    out.flush();
                } catch (IOException e) {
                    // the server stopped reading: its reply says why
                }
            });
            try {
                return read(socket.getInputStream(), deadline);
            } catch (SocketTimeoutException e) {
                throw new Hang("no reply within " + timeout.toSeconds() + " s");
            } finally {
                writer.interrupt();
            }
        }
    }

    private static void writeChunked(OutputStream out, byte[] body) throws IOException {
        int offset = 0;
        while (offset < body.length) {
            int n = Math.min(64 * 1024, body.length - offset);
            out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, offset, n);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            offset += n;
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    private Reply read(InputStream in, long deadline) throws IOException {
        var all = new ByteArrayOutputStream();
        byte[] buffer = new byte[16 * 1024];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                all.write(buffer, 0, n);
                if (System.nanoTime() - deadline > 0) {
                    throw new Hang("reply not complete within " + timeout.toSeconds() + " s");
                }
            }
        } catch (java.net.SocketException e) {
            // A server that refuses the rest of a body resets the connection after its reply; keep the reply.
            if (all.size() == 0) {
                throw e;
            }
        }
        return parse(all.toByteArray());
    }

    private static Reply parse(byte[] raw) throws IOException {
        int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
        if (end < 0) {
            throw new IOException("no complete reply head in " + raw.length + " bytes: "
                    + new String(raw, 0, Math.min(raw.length, 200), StandardCharsets.ISO_8859_1));
        }
        String[] lines = new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        var headers = new LinkedHashMap<String, String>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        byte[] body = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = dechunk(body);
        }
        return new Reply(status, headers, body);
    }

    private static byte[] dechunk(byte[] chunked) {
        var out = new ByteArrayOutputStream();
        int at = 0;
        while (true) {
            int lineEnd = indexOf(chunked, "\r\n".getBytes(StandardCharsets.US_ASCII), at);
            String size = new String(chunked, at, lineEnd - at, StandardCharsets.US_ASCII).split(";")[0].trim();
            int n = Integer.parseInt(size, 16);
            if (n == 0) {
                return out.toByteArray();
            }
            out.write(chunked, lineEnd + 2, n);
            at = lineEnd + 2 + n + 2;
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
