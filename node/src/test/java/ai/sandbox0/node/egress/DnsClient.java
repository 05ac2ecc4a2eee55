package ai.sandbox0.node.egress;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A stub resolver as a sandbox's C library would be one: builds queries on the wire and sends them from a given
 * loopback address (standing for the sandbox's address) to the resolver under test.
 */
final class DnsClient {

    static final int TXT = 16;

    /** An answer as received, with what a test looks at. */
    record Reply(byte[] raw, DnsMessage message) {

        int rcode() {
            return message.rcode();
        }

        int answerCount() {
            return (raw[6] & 0xff) << 8 | raw[7] & 0xff;
        }

        List<InetAddress> addresses() {
            return message.answers().stream().filter(a -> a.address() != null).map(DnsMessage.Answer::address).toList();
        }

        boolean contains(String text) {
            return new String(raw, StandardCharsets.ISO_8859_1).contains(text);
        }
    }

    private final InetAddress from;
    private final InetSocketAddress resolver;

    DnsClient(InetAddress from, int port) {
        this.from = from;
        this.resolver = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    static byte[] query(String name, int type, int ednsSize) {
        var out = new ByteArrayOutputStream();
        int id = ThreadLocalRandom.current().nextInt(0x10000);
        write16(out, id);
        write16(out, 0x0100); // RD
        write16(out, 1);
        write16(out, 0);
        write16(out, 0);
        write16(out, ednsSize > 0 ? 1 : 0);
        for (String label : name.split("\\.")) {
            byte[] b = label.getBytes(StandardCharsets.US_ASCII);
            out.write(b.length);
            out.writeBytes(b);
        }
        out.write(0);
        write16(out, type);
        write16(out, 1);
        if (ednsSize > 0) {
            out.write(0);
            write16(out, DnsMessage.TYPE_OPT);
            write16(out, ednsSize);
            out.writeBytes(new byte[] {0, 0, 0, 0});
            write16(out, 0);
        }
        return out.toByteArray();
    }

    Reply udp(String name, int type) throws IOException {
        return udp(query(name, type, 0));
    }

    Reply udp(byte[] query) throws IOException {
        try (var socket = new DatagramSocket(new InetSocketAddress(from, 0))) {
            socket.setSoTimeout(10_000);
            socket.send(new DatagramPacket(query, query.length, resolver));
            return receive(socket, query);
        }
    }

    /** Sends {@code queries} from one socket, in order, and returns the answer to the last. */
    Reply udpBurst(byte[]... queries) throws IOException {
        try (var socket = new DatagramSocket(new InetSocketAddress(from, 0))) {
            socket.setSoTimeout(10_000);
            for (byte[] q : queries) {
                socket.send(new DatagramPacket(q, q.length, resolver));
            }
            return receive(socket, queries[queries.length - 1]);
        }
    }

    /** Sends datagrams that are no query, to whoever listens; nothing is expected back. */
    void send(byte[]... datagrams) throws IOException {
        try (var socket = new DatagramSocket(new InetSocketAddress(from, 0))) {
            for (byte[] d : datagrams) {
                socket.send(new DatagramPacket(d, d.length, resolver));
            }
        }
    }

    /** Several queries over one connection, sent before any answer is read; answers in the order asked. */
    List<Reply> tcp(byte[]... queries) throws IOException {
        try (var socket = new Socket()) {
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(resolver, 10_000);
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            for (byte[] q : queries) {
                out.write(new byte[] {(byte) (q.length >> 8), (byte) q.length});
                out.write(q);
            }
            out.flush();
            var in = new DataInputStream(socket.getInputStream());
            var replies = new ArrayList<Reply>();
            for (int i = 0; i < queries.length; i++) {
                byte[] raw = new byte[in.readUnsignedShort()];
                in.readFully(raw);
                replies.add(parse(raw));
            }
            replies.sort((a, b) -> Integer.compare(indexOf(queries, a), indexOf(queries, b)));
            return replies;
        }
    }

    /** Sends {@code frame} on a new connection; true when the resolver closed it without answering. */
    boolean tcpClosedAfter(byte[] frame) throws IOException {
        try (var socket = new Socket()) {
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(resolver, 10_000);
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            out.write(new byte[] {(byte) (frame.length >> 8), (byte) frame.length});
            out.write(frame);
            out.flush();
            try {
                return socket.getInputStream().read() < 0;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException reset) {
                return true;
            }
        }
    }

    private static int indexOf(byte[][] queries, Reply r) {
        for (int i = 0; i < queries.length; i++) {
            if (((queries[i][0] & 0xff) << 8 | queries[i][1] & 0xff) == r.message().id()) {
                return i;
            }
        }
        return -1;
    }

    private static Reply receive(DatagramSocket socket, byte[] query) throws IOException {
        int id = (query[0] & 0xff) << 8 | query[1] & 0xff;
        byte[] buffer = new byte[65535];
        while (true) {
            var packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
            } catch (SocketTimeoutException e) {
                throw new EOFException("no answer from the resolver");
            }
            Reply r = parse(Arrays.copyOf(buffer, packet.getLength()));
            if (r.message().id() == id) {
                return r;
            }
        }
    }

    private static Reply parse(byte[] raw) throws IOException {
        try {
            return new Reply(raw, DnsMessage.parse(raw));
        } catch (DnsMessage.Malformed e) {
            throw new IOException("the resolver answered a malformed message: " + e.getMessage());
        }
    }

    private static void write16(ByteArrayOutputStream out, int v) {
        out.write(v >> 8);
        out.write(v);
    }
}
