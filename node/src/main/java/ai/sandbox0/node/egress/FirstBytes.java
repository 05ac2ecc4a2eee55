package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.TrafficRuleAppProtocol;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Classifies a flow from the bytes its client sent first, without consuming them: a TLS ClientHello (SNI and
 * ALPN), an HTTP/1.x request (Host), an SSH banner, a SOCKS5 greeting, a Redis command, an MQTT CONNECT, an
 * AMQP header, a MongoDB message or a DNS query over TCP. Each recogniser says yes, no, or "could be, send
 * more"; the caller waits for more while any could be, up to a size and a time it bounds.
 */
final class FirstBytes {

    /** More bytes than this and the flow is decided with what is known. */
    static final int MAX = 64 * 1024;

    private static final Set<String> METHODS =
            Set.of("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE", "PRI");
    private static final int LONGEST_METHOD = 7;

    private FirstBytes() {
    }

    /** A recogniser's answer: NO, MORE (could be, with {@code likely} the protocol if nothing more comes) or a result. */
    private record Sniff(Classification result, TrafficRuleAppProtocol likely) {
        static final Sniff NO = new Sniff(null, null);

        static Sniff more(TrafficRuleAppProtocol likely) {
            return new Sniff(null, likely);
        }

        static Sniff yes(Classification c) {
            return new Sniff(c, null);
        }

        boolean more() {
            return result == null && likely != null;
        }
    }

    /**
     * The classification of the readable bytes of {@code b}, or null when more bytes could change it. With
     * {@code last} (no more are coming, or no more will be waited for) the answer is never null: a protocol
     * whose start was recognised is named, without the host it would have carried.
     */
    static Classification classify(ByteBuf b, boolean last) {
        if (!b.isReadable()) {
            return last ? Classification.UNKNOWN : null;
        }
        Sniff[] sniffs = {tls(b), http(b), prefix(b, "SSH-", TrafficRuleAppProtocol.SSH), socks5(b), redis(b), mqtt(b),
            prefix(b, "AMQP", TrafficRuleAppProtocol.AMQP), mongodb(b), dns(b)};
        TrafficRuleAppProtocol likely = null;
        for (Sniff s : sniffs) {
            if (s.result() != null) {
                return s.result();
            }
            if (s.more() && likely == null) {
                likely = s.likely();
            }
        }
        if (likely == null) {
            return Classification.UNKNOWN;
        }
        return last ? Classification.of(likely) : null;
    }

    private static int u8(ByteBuf b, int i) {
        return b.getUnsignedByte(b.readerIndex() + i);
    }

    private static Sniff prefix(ByteBuf b, String magic, TrafficRuleAppProtocol app) {
        int n = Math.min(b.readableBytes(), magic.length());
        for (int i = 0; i < n; i++) {
            if (u8(b, i) != magic.charAt(i)) {
                return Sniff.NO;
            }
        }
        return n < magic.length() ? Sniff.more(app) : Sniff.yes(Classification.of(app));
    }

    // TLS: records of type handshake (22) carrying a ClientHello (1); the hello may span records.
    private static Sniff tls(ByteBuf b) {
        int n = b.readableBytes();
        if (u8(b, 0) != 22) {
            return Sniff.NO;
        }
        if (n >= 2 && u8(b, 1) != 3) {
            return Sniff.NO;
        }
        if (n >= 6 && u8(b, 5) != 1) {
            return Sniff.NO;
        }
        if (n < 9) {
            return Sniff.more(TrafficRuleAppProtocol.TLS);
        }
        int helloLength = (u8(b, 6) << 16) | (u8(b, 7) << 8) | u8(b, 8);
        if (helloLength > MAX) {
            return Sniff.yes(Classification.of(TrafficRuleAppProtocol.TLS));
        }
        byte[] hello = new byte[4 + helloLength];
        int have = 0;
        int at = 0;
        while (have < hello.length) {
            if (at + 5 > n) {
                return Sniff.more(TrafficRuleAppProtocol.TLS);
            }
            if (u8(b, at) != 22) {
                return Sniff.yes(Classification.of(TrafficRuleAppProtocol.TLS));
            }
            int len = (u8(b, at + 3) << 8) | u8(b, at + 4);
            int take = Math.min(len, hello.length - have);
            if (at + 5 + take > n) {
                return Sniff.more(TrafficRuleAppProtocol.TLS);
            }
            b.getBytes(b.readerIndex() + at + 5, hello, have, take);
            have += take;
            at += 5 + len;
        }
        try {
            return Sniff.yes(clientHello(hello));
        } catch (IndexOutOfBoundsException malformed) {
            return Sniff.yes(Classification.of(TrafficRuleAppProtocol.TLS));
        }
    }

    private static Classification clientHello(byte[] h) {
        int p = 4 + 2 + 32; // handshake header, client version, random
        p += 1 + (h[p] & 0xff); // session id
        p += 2 + (((h[p] & 0xff) << 8) | (h[p + 1] & 0xff)); // cipher suites
        p += 1 + (h[p] & 0xff); // compression methods
        String sni = null;
        var alpn = new ArrayList<String>();
        if (p + 2 > h.length) {
            return new Classification(TrafficRuleAppProtocol.TLS, null, List.of());
        }
        int end = Math.min(h.length, p + 2 + (((h[p] & 0xff) << 8) | (h[p + 1] & 0xff)));
        p += 2;
        while (p + 4 <= end) {
            int type = ((h[p] & 0xff) << 8) | (h[p + 1] & 0xff);
            int len = ((h[p + 2] & 0xff) << 8) | (h[p + 3] & 0xff);
            int body = p + 4;
            if (body + len > end) {
                break;
            }
            if (type == 0) { // server_name: list length, then (type, length, name)*
                int q = body + 2;
                while (q + 3 <= body + len) {
                    int nameLength = ((h[q + 1] & 0xff) << 8) | (h[q + 2] & 0xff);
                    if (h[q] == 0 && q + 3 + nameLength <= body + len) {
                        sni = new String(h, q + 3, nameLength, StandardCharsets.US_ASCII);
                        break;
                    }
                    q += 3 + nameLength;
                }
            } else if (type == 16) { // application_layer_protocol_negotiation: list length, then (length, name)*
                int q = body + 2;
                while (q < body + len) {
                    int l = h[q] & 0xff;
                    if (q + 1 + l > body + len) {
                        break;
                    }
                    alpn.add(new String(h, q + 1, l, StandardCharsets.US_ASCII));
                    q += 1 + l;
                }
            }
            p = body + len;
        }
        return new Classification(TrafficRuleAppProtocol.TLS, sni, alpn);
    }

    // HTTP/1.x: METHOD SP target SP HTTP/1.x CRLF, headers, CRLF; the name is the Host header (or CONNECT's target).
    private static Sniff http(ByteBuf b) {
        int n = b.readableBytes();
        int space = -1;
        for (int i = 0; i < Math.min(n, LONGEST_METHOD + 1); i++) {
            int c = u8(b, i);
            if (c == ' ') {
                space = i;
                break;
            }
            if (c < 'A' || c > 'Z') {
                return Sniff.NO;
            }
        }
        if (space < 0) {
            if (n > LONGEST_METHOD) {
                return Sniff.NO;
            }
            String start = b.toString(b.readerIndex(), n, StandardCharsets.US_ASCII);
            return METHODS.stream().anyMatch(m -> m.startsWith(start)) ? Sniff.more(TrafficRuleAppProtocol.HTTP) : Sniff.NO;
        }
        String method = b.toString(b.readerIndex(), space, StandardCharsets.US_ASCII);
        if (!METHODS.contains(method)) {
            return Sniff.NO;
        }
        int limit = Math.min(n, MAX);
        int lineEnd = indexOf(b, "\r\n", space, limit);
        if (lineEnd < 0) {
            return Sniff.more(TrafficRuleAppProtocol.HTTP);
        }
        String[] line = b.toString(b.readerIndex(), lineEnd, StandardCharsets.US_ASCII).split(" ");
        if (line.length != 3 || !line[2].startsWith("HTTP/")) {
            return Sniff.NO;
        }
        if (method.equals("PRI")) { // HTTP/2 with prior knowledge: the name is in a HEADERS frame
            return Sniff.yes(Classification.of(TrafficRuleAppProtocol.HTTP));
        }
        if (method.equals("CONNECT")) {
            return Sniff.yes(new Classification(TrafficRuleAppProtocol.HTTP, hostOf(line[1]), List.of()));
        }
        int headersEnd = indexOf(b, "\r\n\r\n", lineEnd, limit);
        if (headersEnd < 0) {
            return Sniff.more(TrafficRuleAppProtocol.HTTP);
        }
        String headers = b.toString(b.readerIndex() + lineEnd + 2, headersEnd - lineEnd, StandardCharsets.ISO_8859_1);
        for (String h : headers.split("\r\n")) {
            int colon = h.indexOf(':');
            if (colon > 0 && h.substring(0, colon).strip().toLowerCase(Locale.ROOT).equals("host")) {
                return Sniff.yes(new Classification(TrafficRuleAppProtocol.HTTP, hostOf(h.substring(colon + 1)), List.of()));
            }
        }
        return Sniff.yes(Classification.of(TrafficRuleAppProtocol.HTTP));
    }

    /** {@code name}, {@code name:port}, {@code [v6]:port} → the name or address alone; null when blank. */
    static String hostOf(String authority) {
        String a = authority.strip();
        if (a.startsWith("[")) {
            int close = a.indexOf(']');
            return close < 0 ? null : a.substring(1, close);
        }
        int colon = a.indexOf(':');
        if (colon >= 0 && colon == a.lastIndexOf(':')) {
            a = a.substring(0, colon);
        }
        return a.isEmpty() ? null : a;
    }

    private static int indexOf(ByteBuf b, String needle, int from, int to) {
        outer:
        for (int i = from; i + needle.length() <= to; i++) {
            for (int j = 0; j < needle.length(); j++) {
                if (u8(b, i + j) != needle.charAt(j)) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // SOCKS5 greeting: version 5, the number of methods, the methods; then the client waits for the server.
    private static Sniff socks5(ByteBuf b) {
        int n = b.readableBytes();
        if (u8(b, 0) != 5) {
            return Sniff.NO;
        }
        if (n < 2) {
            return Sniff.more(TrafficRuleAppProtocol.SOCKS5);
        }
        int methods = u8(b, 1);
        if (methods == 0 || n > 2 + methods) {
            return Sniff.NO;
        }
        return n < 2 + methods ? Sniff.more(TrafficRuleAppProtocol.SOCKS5)
                : Sniff.yes(Classification.of(TrafficRuleAppProtocol.SOCKS5));
    }

    // Redis RESP: an array of bulk strings, "*<n>\r\n$".
    private static Sniff redis(ByteBuf b) {
        int n = b.readableBytes();
        if (u8(b, 0) != '*') {
            return Sniff.NO;
        }
        int i = 1;
        while (i < n && Character.isDigit(u8(b, i)) && i < 8) {
            i++;
        }
        if (i == n) {
            return Sniff.more(TrafficRuleAppProtocol.REDIS);
        }
        if (i == 1 || u8(b, i) != '\r') {
            return Sniff.NO;
        }
        if (i + 2 >= n) {
            return i + 1 < n && u8(b, i + 1) != '\n' ? Sniff.NO : Sniff.more(TrafficRuleAppProtocol.REDIS);
        }
        return u8(b, i + 1) == '\n' && u8(b, i + 2) == '$' ? Sniff.yes(Classification.of(TrafficRuleAppProtocol.REDIS))
                : Sniff.NO;
    }

    // MQTT CONNECT: packet type 1, a variable-length remaining length, then the protocol name "MQTT" or "MQIsdp".
    private static Sniff mqtt(ByteBuf b) {
        int n = b.readableBytes();
        if (u8(b, 0) != 0x10) {
            return Sniff.NO;
        }
        int i = 1;
        while (i < n && i <= 4 && (u8(b, i) & 0x80) != 0) {
            i++;
        }
        if (i > 4) {
            return Sniff.NO;
        }
        if (i >= n) {
            return Sniff.more(TrafficRuleAppProtocol.MQTT);
        }
        int at = i + 1;
        for (String name : List.of("\0\4MQTT", "\0\6MQIsdp")) {
            int m = Math.min(n - at, name.length());
            boolean match = true;
            for (int j = 0; j < m && match; j++) {
                match = u8(b, at + j) == name.charAt(j);
            }
            if (match) {
                return m < name.length() ? Sniff.more(TrafficRuleAppProtocol.MQTT)
                        : Sniff.yes(Classification.of(TrafficRuleAppProtocol.MQTT));
            }
        }
        return Sniff.NO;
    }

    // MongoDB: a 16-byte header, little-endian: length, request id, responseTo 0, op code OP_MSG/OP_QUERY/OP_COMPRESSED.
    private static Sniff mongodb(ByteBuf b) {
        int n = b.readableBytes();
        if (n < 16) {
            if (n >= 4) {
                int length = b.getIntLE(b.readerIndex());
                if (length < 16 || length > 48 * 1024 * 1024) {
                    return Sniff.NO;
                }
            }
            return Sniff.more(TrafficRuleAppProtocol.MONGODB);
        }
        int length = b.getIntLE(b.readerIndex());
        int responseTo = b.getIntLE(b.readerIndex() + 8);
        int op = b.getIntLE(b.readerIndex() + 12);
        boolean yes = length >= 16 && length <= 48 * 1024 * 1024 && responseTo == 0 && (op == 2013 || op == 2004 || op == 2012);
        return yes ? Sniff.yes(Classification.of(TrafficRuleAppProtocol.MONGODB)) : Sniff.NO;
    }

    // DNS over TCP: a length, then a query header (QR 0, opcode QUERY, one question, no answers).
    private static Sniff dns(ByteBuf b) {
        int n = b.readableBytes();
        if (n < 14) {
            if (n >= 2 && ((u8(b, 0) << 8) | u8(b, 1)) < 17) {
                return Sniff.NO;
            }
            return n >= 5 && (u8(b, 4) & 0xf8) != 0 ? Sniff.NO : Sniff.more(TrafficRuleAppProtocol.DNS);
        }
        int length = (u8(b, 0) << 8) | u8(b, 1);
        boolean query = (u8(b, 4) & 0xf8) == 0;
        int questions = (u8(b, 6) << 8) | u8(b, 7);
        int answers = (u8(b, 8) << 8) | u8(b, 9);
        return length >= 17 && query && questions == 1 && answers == 0
                ? Sniff.yes(Classification.of(TrafficRuleAppProtocol.DNS)) : Sniff.NO;
    }
}
