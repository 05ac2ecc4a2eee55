package ai.sandbox0.node.egress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a DNS message (RFC 1035) the node's resolver reads: the header, the questions, the address and
 * alias answers, and whether the sender speaks EDNS (RFC 6891). The resolver relays the raw bytes it was given;
 * this only reads them, and builds the few answers the resolver gives on its own.
 *
 * @param extendedError the Extended DNS Error (RFC 8914) info code the message carries, or -1
 * @param questionsEnd the offset just past the question section, which local answers copy as it was sent
 */
record DnsMessage(int id, int flags, List<Question> questions, List<Answer> answers, boolean edns, int ednsUdpSize,
        int extendedError, int questionsEnd) {

    static final int TYPE_A = 1;
    static final int TYPE_CNAME = 5;
    static final int TYPE_PTR = 12;
    static final int TYPE_AAAA = 28;
    static final int TYPE_OPT = 41;

    static final int NOERROR = 0;
    static final int FORMERR = 1;
    static final int SERVFAIL = 2;
    static final int NXDOMAIN = 3;
    static final int NOTIMP = 4;
    static final int REFUSED = 5;

    static final int FLAG_QR = 0x8000;
    static final int FLAG_TC = 0x0200;
    private static final int FLAG_RD = 0x0100;
    private static final int FLAG_RA = 0x0080;
    private static final int FLAG_CD = 0x0010;

    /** Extended DNS Errors (RFC 8914) the resolver gives. */
    enum ExtendedError {
        BLOCKED(15, "blocked by the sandbox network policy"),
        PROHIBITED(18, "not a sandbox of this node");

        final int code;
        final String text;

        ExtendedError(int code, String text) {
            this.code = code;
            this.text = text;
        }
    }

    /** A question; the name is lower case without the trailing dot. */
    record Question(String name, int type, int dnsClass) {
    }

    /** An A or AAAA answer ({@code address} set) or a CNAME ({@code target} set). */
    record Answer(String name, int type, long ttl, InetAddress address, String target) {
    }

    /** A message that is not one: truncated, a name that loops or overruns, counts beyond the bytes. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /** Same as in classic DNS without EDNS: the most a UDP answer may carry. */
    static final int CLASSIC_UDP_SIZE = 512;
    private static final int OUR_UDP_SIZE = 1232;
    private static final int MAX_NAME = 255;

    boolean isResponse() {
        return (flags & FLAG_QR) != 0;
    }

    boolean truncated() {
        return (flags & FLAG_TC) != 0;
    }

    int opcode() {
        return (flags >> 11) & 0xf;
    }

    int rcode() {
        return flags & 0xf;
    }

    /** The largest UDP answer the sender accepts. */
    int udpLimit() {
        return edns ? Math.max(CLASSIC_UDP_SIZE, ednsUdpSize) : CLASSIC_UDP_SIZE;
    }

    static DnsMessage parse(byte[] m) throws Malformed {
        if (m.length < 12) {
            throw new Malformed("shorter than a header");
        }
        int id = u16(m, 0);
        int flags = u16(m, 2);
        int qd = u16(m, 4);
        int an = u16(m, 6);
        int ns = u16(m, 8);
        int ar = u16(m, 10);
        int at = 12;
        var questions = new ArrayList<Question>(Math.min(qd, 4));
        for (int i = 0; i < qd; i++) {
            var name = new StringBuilder();
            at = readName(m, at, name);
            need(m, at, 4);
            questions.add(new Question(name.toString(), u16(m, at), u16(m, at + 2)));
            at += 4;
        }
        int questionsEnd = at;
        var answers = new ArrayList<Answer>();
        boolean edns = false;
        int ednsSize = 0;
        int extendedError = -1;
        for (int i = 0; i < an + ns + ar; i++) {
            var name = new StringBuilder();
            at = readName(m, at, name);
            need(m, at, 10);
            int type = u16(m, at);
            int cls = u16(m, at + 2);
            long ttl = u32(m, at + 4);
            int length = u16(m, at + 8);
            int rdata = at + 10;
            need(m, rdata, length);
            at = rdata + length;
            if (i < an) {
                if (type == TYPE_A && length == 4 || type == TYPE_AAAA && length == 16) {
                    answers.add(new Answer(name.toString(), type, ttl, address(m, rdata, length), null));
                } else if (type == TYPE_CNAME) {
                    var target = new StringBuilder();
                    readName(m, rdata, target);
                    answers.add(new Answer(name.toString(), type, ttl, null, target.toString()));
                }
            } else if (i >= an + ns && type == TYPE_OPT) {
                edns = true;
                ednsSize = cls;
                for (int o = rdata; o + 4 <= rdata + length; o += 4 + u16(m, o + 2)) {
                    if (u16(m, o) == 15 && u16(m, o + 2) >= 2 && o + 6 <= rdata + length) {
                        extendedError = u16(m, o + 4);
                    }
                }
            }
        }
        return new DnsMessage(id, flags, List.copyOf(questions), List.copyOf(answers), edns, ednsSize, extendedError,
                questionsEnd);
    }

    /**
     * The resolver's own answer to {@code query} (whose bytes are {@code raw}): the same id and questions, no
     * records, the given response code, and an OPT record with {@code error} when the query carried EDNS.
     */
    static byte[] answer(DnsMessage query, byte[] raw, int rcode, ExtendedError error) {
        int flags = FLAG_QR | (query.opcode() << 11) | (query.flags & (FLAG_RD | FLAG_CD)) | FLAG_RA | rcode;
        return headerAndQuestions(query, raw, flags, error);
    }

    /**
     * An answer too large for the asker's UDP limit, cut to its header and questions with the TC bit set (RFC
     * 1035 §4.1.1, RFC 7766 §5): the asker repeats the query over TCP.
     */
    static byte[] truncation(DnsMessage query, byte[] raw, DnsMessage response) {
        return headerAndQuestions(query, raw, response.flags | FLAG_TC, null);
    }

    private static byte[] headerAndQuestions(DnsMessage query, byte[] raw, int flags, ExtendedError error) {
        byte[] opt = query.edns ? opt(error) : new byte[0];
        int questions = query.questionsEnd - 12;
        byte[] out = new byte[12 + questions + opt.length];
        put16(out, 0, query.id);
        put16(out, 2, flags);
        put16(out, 4, query.questions.size());
        put16(out, 10, query.edns ? 1 : 0);
        System.arraycopy(raw, 12, out, 12, questions);
        System.arraycopy(opt, 0, out, 12 + questions, opt.length);
        return out;
    }

    /** Writes {@code id} into a message's header (the resolver keeps the sandbox's id and sends its own upstream). */
    static byte[] withId(byte[] message, int id) {
        byte[] copy = message.clone();
        put16(copy, 0, id);
        return copy;
    }

    private static byte[] opt(ExtendedError error) {
        byte[] text = error == null ? new byte[0] : error.text.getBytes(StandardCharsets.UTF_8);
        int options = error == null ? 0 : 4 + 2 + text.length;
        byte[] o = new byte[11 + options];
        // root name (0), TYPE OPT, CLASS = our UDP size, TTL = extended rcode 0, version 0, flags 0
        put16(o, 1, TYPE_OPT);
        put16(o, 3, OUR_UDP_SIZE);
        put16(o, 9, options);
        if (error != null) {
            put16(o, 11, 15); // OPTION-CODE: Extended DNS Error
            put16(o, 13, 2 + text.length);
            put16(o, 15, error.code);
            System.arraycopy(text, 0, o, 17, text.length);
        }
        return o;
    }

    /** Reads a possibly compressed name at {@code at} into {@code out}; returns the offset after it in place. */
    private static int readName(byte[] m, int at, StringBuilder out) throws Malformed {
        int end = -1;
        int jumps = 0;
        int length = 0;
        while (true) {
            need(m, at, 1);
            int len = m[at] & 0xff;
            if (len == 0) {
                return end < 0 ? at + 1 : end;
            }
            if ((len & 0xc0) == 0xc0) {
                need(m, at, 2);
                if (++jumps > 32) {
                    throw new Malformed("compression loop");
                }
                if (end < 0) {
                    end = at + 2;
                }
                int target = ((len & 0x3f) << 8) | (m[at + 1] & 0xff);
                if (target >= at) {
                    throw new Malformed("compression pointer forward");
                }
                at = target;
                continue;
            }
            if ((len & 0xc0) != 0) {
                throw new Malformed("unknown label type");
            }
            need(m, at + 1, len);
            length += len + 1;
            if (length > MAX_NAME) {
                throw new Malformed("name longer than 255 bytes");
            }
            if (!out.isEmpty()) {
                out.append('.');
            }
            for (int i = 0; i < len; i++) {
                char c = (char) (m[at + 1 + i] & 0xff);
                out.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
            }
            at += 1 + len;
        }
    }

    private static InetAddress address(byte[] m, int at, int length) {
        byte[] b = new byte[length];
        System.arraycopy(m, at, b, 0, length);
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void need(byte[] m, int at, int count) throws Malformed {
        if (at < 0 || count < 0 || at + count > m.length) {
            throw new Malformed("truncated at byte " + at);
        }
    }

    private static int u16(byte[] m, int at) {
        return (m[at] & 0xff) << 8 | m[at + 1] & 0xff;
    }

    private static long u32(byte[] m, int at) {
        return (long) u16(m, at) << 16 | u16(m, at + 2);
    }

    private static void put16(byte[] m, int at, int v) {
        m[at] = (byte) (v >> 8);
        m[at + 1] = (byte) v;
    }
}
