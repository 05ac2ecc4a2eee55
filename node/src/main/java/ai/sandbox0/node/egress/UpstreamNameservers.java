package ai.sandbox0.node.egress;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The nameservers the node's resolver asks on behalf of sandboxes. One exchange is blocking (callers run it on
 * a virtual thread): over UDP from a fresh random port with a fresh random id (a sandbox chooses the ids of its
 * own queries, so they must not be what an off-path forger has to guess), over TCP when the UDP answer is
 * truncated; each server in turn, {@code attempts} rounds, {@code timeout} per try. An answer that is not for
 * the question asked (another id, another question) is ignored; SERVFAIL and REFUSED move on to the next
 * server but are still returned when no server does better.
 */
final class UpstreamNameservers {

    /** What an exchange brought back: the upstream's answer, with the asker's id already put back. */
    record Reply(byte[] message, DnsMessage parsed) {
    }

    private static final int MAX_MESSAGE = 65535;

    private final List<InetSocketAddress> servers;
    private final Duration timeout;
    private final int attempts;
    private final SecureRandom random = new SecureRandom();

    UpstreamNameservers(List<InetSocketAddress> servers, Duration timeout, int attempts) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no upstream nameserver");
        }
        this.servers = List.copyOf(servers);
        this.timeout = timeout;
        this.attempts = Math.max(1, attempts);
    }

    /**
     * Asks for {@code query} and returns the first usable answer, complete (a truncated UDP answer is asked
     * again over TCP; only when TCP fails is the truncated one returned). Empty when no server answered.
     */
    Optional<Reply> exchange(byte[] query, DnsMessage parsed) {
        Reply fallback = null;
        for (int round = 0; round < attempts; round++) {
            for (InetSocketAddress server : servers) {
                int id = random.nextInt(0x10000);
                byte[] ours = DnsMessage.withId(query, id);
                Reply reply = udp(server, ours, id, parsed);
                if (reply != null && reply.parsed().truncated()) {
                    Reply full = tcp(server, ours, id, parsed);
                    reply = full != null ? full : reply;
                }
                if (reply == null) {
                    continue;
                }
                int rcode = reply.parsed().rcode();
                if (rcode != DnsMessage.SERVFAIL && rcode != DnsMessage.REFUSED) {
                    return Optional.of(restore(reply, parsed.id()));
                }
                fallback = reply;
            }
        }
        return Optional.ofNullable(fallback).map(r -> restore(r, parsed.id()));
    }

    private Reply udp(InetSocketAddress server, byte[] query, int id, DnsMessage asked) {
        try (var socket = new DatagramSocket()) {
            socket.connect(server);
            socket.setSoTimeout((int) timeout.toMillis());
            socket.send(new DatagramPacket(query, query.length));
            long deadline = System.nanoTime() + timeout.toNanos();
            byte[] buffer = new byte[MAX_MESSAGE];
            while (true) {
                var packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                byte[] message = Arrays.copyOf(buffer, packet.getLength());
                Reply reply = matching(message, id, asked);
                if (reply != null) {
                    return reply;
                }
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return null;
                }
                socket.setSoTimeout((int) left);
            }
        } catch (SocketTimeoutException e) {
            return null;
        } catch (IOException e) {
            // unreachable server (ICMP port unreachable, no route): try the next one
            return null;
        }
    }

    private Reply tcp(InetSocketAddress server, byte[] query, int id, DnsMessage asked) {
        try (var socket = new Socket()) {
            socket.connect(server, (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            OutputStream out = socket.getOutputStream();
            byte[] framed = new byte[2 + query.length];
            framed[0] = (byte) (query.length >> 8);
            framed[1] = (byte) query.length;
            System.arraycopy(query, 0, framed, 2, query.length);
            out.write(framed);
            out.flush();
            var in = new DataInputStream(socket.getInputStream());
            byte[] message = new byte[in.readUnsignedShort()];
            in.readFully(message);
            return matching(message, id, asked);
        } catch (IOException e) {
            return null;
        }
    }

    private static Reply matching(byte[] message, int id, DnsMessage asked) {
        try {
            DnsMessage m = DnsMessage.parse(message);
            if (m.id() != id || !m.isResponse() || !m.questions().equals(asked.questions())) {
                return null;
            }
            return new Reply(message, m);
        } catch (DnsMessage.Malformed e) {
            return null;
        }
    }

    private static Reply restore(Reply reply, int id) {
        byte[] message = DnsMessage.withId(reply.message(), id);
        var p = reply.parsed();
        return new Reply(message, new DnsMessage(id, p.flags(), p.questions(), p.answers(), p.edns(), p.ednsUdpSize(),
                p.extendedError(), p.questionsEnd()));
    }
}
