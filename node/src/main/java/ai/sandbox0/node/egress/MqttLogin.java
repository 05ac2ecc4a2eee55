package ai.sandbox0.node.egress;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * An MQTT connection (3.1, 3.1.1 or 5) the proxy logs in for the sandbox with a {@code username_password}
 * binding: the client's CONNECT is held whole and goes upstream with the username and password flags set and
 * the stored username and password in place of whatever the client sent (or did not); every other byte of it
 * (client id, will, v5 properties) is copied as it came, and the remaining length recomputed. Everything after
 * the CONNECT passes untouched.
 *
 * <p>A hand reader of just CONNECT rather than Netty's MQTT codec: the codec would decode and re-encode the
 * packet (and the whole stream after it), where copying the bytes around the login keeps every property as
 * the client wrote it, whichever version.
 */
final class MqttLogin implements ClientRewrite {

    /** A CONNECT (with its will message) is held whole: at most this long. */
    static final int MAX_CONNECT = 256 * 1024;

    private final EgressMaterial.UsernamePassword login;
    private ByteBuf held = Unpooled.EMPTY_BUFFER;
    private boolean done;

    MqttLogin(EgressMaterial.UsernamePassword login) {
        this.login = login;
    }

    @Override
    public void feed(ByteBuf in, Consumer<ByteBuf> out) throws Malformed {
        if (done) {
            out.accept(in);
            return;
        }
        if (held == Unpooled.EMPTY_BUFFER) {
            held = ByteBufAllocator.DEFAULT.heapBuffer(Math.max(256, in.readableBytes()));
        }
        try {
            held.writeBytes(in);
        } finally {
            in.release();
        }
        int at = held.readerIndex();
        long[] length = remainingLength(held, at + 1);
        if (length == null) {
            return;
        }
        int headerEnd = (int) length[1];
        long total = headerEnd - at + length[0];
        if (total > MAX_CONNECT) {
            throw new Malformed("an MQTT CONNECT longer than " + MAX_CONNECT + " bytes");
        }
        if (held.readableBytes() < total) {
            return;
        }
        if (held.getUnsignedByte(at) != 0x10) {
            throw new Malformed("not an MQTT CONNECT");
        }
        ByteBuf rest = held.retainedSlice(at + (int) total, held.readableBytes() - (int) total);
        try {
            out.accept(rewrite(held.slice(headerEnd, (int) length[0])));
        } catch (IndexOutOfBoundsException e) {
            rest.release();
            throw new Malformed("an MQTT CONNECT that does not parse");
        } finally {
            held.release();
            held = null;
            done = true;
        }
        if (rest.isReadable()) {
            out.accept(rest);
        } else {
            rest.release();
        }
    }

    /** The CONNECT's variable header and payload, with the stored login in place of the client's. */
    private ByteBuf rewrite(ByteBuf p) {
        int start = p.readerIndex();
        p.skipBytes(p.readUnsignedShort()); // protocol name
        int level = p.readUnsignedByte();
        int flagsAt = p.readerIndex();
        int flags = p.readUnsignedByte();
        p.skipBytes(2); // keep alive
        if (level == 5) {
            p.skipBytes(varint(p)); // properties
        }
        p.skipBytes(p.readUnsignedShort()); // client id
        if ((flags & 0x04) != 0) {
            if (level == 5) {
                p.skipBytes(varint(p)); // will properties
            }
            p.skipBytes(p.readUnsignedShort()); // will topic
            p.skipBytes(p.readUnsignedShort()); // will payload
        }
        int kept = p.readerIndex() - start;
        byte[] user = (login.username() == null ? "" : login.username()).getBytes(StandardCharsets.UTF_8);
        byte[] password = login.password().getBytes(StandardCharsets.UTF_8);
        if (user.length > 0xFFFF || password.length > 0xFFFF) {
            throw new IndexOutOfBoundsException("login too long for MQTT");
        }
        int remaining = kept + 2 + user.length + 2 + password.length;
        ByteBuf out = Unpooled.buffer(5 + remaining);
        out.writeByte(0x10);
        for (int r = remaining;;) {
            int digit = r % 128;
            r /= 128;
            out.writeByte(r > 0 ? digit | 0x80 : digit);
            if (r == 0) {
                break;
            }
        }
        int flagsOut = out.writerIndex() + (flagsAt - start);
        out.writeBytes(p, start, kept);
        out.setByte(flagsOut, flags | 0xC0); // username and password present
        out.writeShort(user.length).writeBytes(user);
        out.writeShort(password.length).writeBytes(password);
        return out;
    }

    /**
     * The CONNACK refusing a login ("bad user name or password") for the CONNECT that starts {@code first}, or
     * null when its protocol level cannot be read there.
     */
    static ByteBuf badLogin(ByteBuf first) {
        int at = first.readerIndex();
        long[] length = remainingLength(first, at + 1);
        if (length == null || first.writerIndex() < length[1] + 2) {
            return null;
        }
        int levelAt = (int) length[1] + 2 + first.getUnsignedShort((int) length[1]);
        if (first.writerIndex() <= levelAt) {
            return null;
        }
        int level = first.getUnsignedByte(levelAt);
        return level == 5 ? Unpooled.wrappedBuffer(new byte[] {0x20, 3, 0, (byte) 0x86, 0})
                : Unpooled.wrappedBuffer(new byte[] {0x20, 2, 0, 4});
    }

    /** The remaining length at {@code i} and the index after it; null while incomplete. */
    private static long[] remainingLength(ByteBuf b, int i) {
        long value = 0;
        for (int n = 0; n < 4; n++, i++) {
            if (i >= b.writerIndex()) {
                return null;
            }
            int digit = b.getUnsignedByte(i);
            value |= (long) (digit & 0x7F) << (7 * n);
            if ((digit & 0x80) == 0) {
                return new long[] {value, i + 1};
            }
        }
        return new long[] {Long.MAX_VALUE, i};
    }

    private static int varint(ByteBuf p) {
        int value = 0;
        for (int n = 0; n < 4; n++) {
            int digit = p.readUnsignedByte();
            value |= (digit & 0x7F) << (7 * n);
            if ((digit & 0x80) == 0) {
                return value;
            }
        }
        throw new IndexOutOfBoundsException("MQTT variable byte integer too long");
    }

    @Override
    public void release() {
        if (held != null) {
            held.release();
            held = null;
        }
    }
}
