package ai.sandbox0.node.egress;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * A Redis connection the proxy logs in for the sandbox with a {@code username_password} binding: its own
 * {@code AUTH} goes upstream before the client's first command, and the client's commands are read as they
 * pass (a streaming scan of RESP arrays and inline commands that holds no more than a command's name) so that
 * an {@code AUTH} or a {@code HELLO … AUTH} it sends itself, with a placeholder or anything else, carries the
 * stored login instead. Everything else passes byte for byte.
 */
final class RedisLogin implements ClientRewrite {

    /** A command held whole (an AUTH, a HELLO) or a command's name is at most this long. */
    static final int MAX_HELD = 64 * 1024;
    private static final long MAX_BULK = 512L * 1024 * 1024;

    private enum State { START, ARRAY_LEN, ARRAY_LF, BULK_START, BULK_LEN, BULK_LF, BODY, BODY_CR, BODY_LF, INLINE }

    private final EgressMaterial.UsernamePassword login;
    private State state = State.START;
    private long number;
    private long elements;
    private long index;
    private long remaining;
    /** The current command's bytes, while its name (for AUTH and HELLO: all of it) is still to come. */
    private ByteBuf held;
    private boolean whole;
    private final List<byte[]> args = new ArrayList<>();
    private ByteArrayOutputStream arg;
    private final StringBuilder answer = new StringBuilder();

    RedisLogin(EgressMaterial.UsernamePassword login) {
        this.login = login;
    }

    // ---- the proxy's own login

    /** {@code AUTH <username> <password>}, or {@code AUTH <password>} for the default user. */
    ByteBuf auth() {
        return command(defaultUser() ? List.of("AUTH", login.password()) : List.of("AUTH", login.username(), login.password()));
    }

    /**
     * Reads the upstream's answer to {@link #auth()}: a simple string accepts, anything else refuses.
     *
     * @return null while the answer's line is incomplete; bytes after it stay readable in {@code in}
     */
    Boolean accepted(ByteBuf in) {
        while (in.isReadable()) {
            char c = (char) in.readUnsignedByte();
            if (c == '\n' && !answer.isEmpty() && answer.charAt(answer.length() - 1) == '\r') {
                return answer.charAt(0) == '+';
            }
            if (answer.length() < 512) {
                answer.append(c);
            }
        }
        return null;
    }

    /** A RESP error, as a Redis server would answer a command. */
    static ByteBuf error(String text) {
        return Unpooled.copiedBuffer("-" + text + "\r\n", StandardCharsets.UTF_8);
    }

    // ---- the client's commands

    @Override
    public void feed(ByteBuf in, Consumer<ByteBuf> out) throws Malformed {
        try {
            scan(in, out);
        } finally {
            in.release();
        }
    }

    private void scan(ByteBuf in, Consumer<ByteBuf> out) throws Malformed {
        int end = in.writerIndex();
        int from = in.readerIndex(); // the start of the passing bytes not yet handed on
        int i = from;
        while (i < end) {
            if (state == State.START) {
                if (i > from) {
                    out.accept(in.retainedSlice(from, i - from));
                }
                held = ByteBufAllocator.DEFAULT.heapBuffer(64);
                args.clear();
                whole = false;
                number = 0;
                state = in.getByte(i) == '*' ? State.ARRAY_LEN : State.INLINE;
                if (state == State.ARRAY_LEN) {
                    held.writeByte('*');
                    i++;
                }
                continue;
            }
            if (state == State.BODY) {
                int n = (int) Math.min(remaining, end - i);
                if (held != null) {
                    hold(in, i, n);
                    arg.writeBytes(ByteBufUtil.getBytes(in, i, n));
                }
                remaining -= n;
                i += n;
                if (remaining == 0) {
                    state = State.BODY_CR;
                }
                continue;
            }
            byte b = in.getByte(i);
            if (held != null) {
                hold(in, i, 1);
            }
            i++;
            switch (state) {
                case ARRAY_LEN -> {
                    if (b == '\r') {
                        state = State.ARRAY_LF;
                    } else {
                        number = digit(number, b);
                    }
                }
                case ARRAY_LF -> {
                    expect(b, '\n');
                    elements = number;
                    index = 0;
                    if (elements <= 0) {
                        from = ended(out, i, from);
                    } else {
                        state = State.BULK_START;
                    }
                }
                case BULK_START -> {
                    expect(b, '$');
                    number = 0;
                    state = State.BULK_LEN;
                }
                case BULK_LEN -> {
                    if (b == '\r') {
                        state = State.BULK_LF;
                    } else {
                        number = digit(number, b);
                    }
                }
                case BULK_LF -> {
                    expect(b, '\n');
                    remaining = number;
                    if (held != null) {
                        arg = new ByteArrayOutputStream((int) Math.min(number, MAX_HELD));
                    }
                    state = remaining > 0 ? State.BODY : State.BODY_CR;
                }
                case BODY_CR -> {
                    expect(b, '\r');
                    state = State.BODY_LF;
                }
                case BODY_LF -> {
                    expect(b, '\n');
                    index++;
                    if (held != null) {
                        args.add(arg.toByteArray());
                        whole = loginCommand(args.getFirst());
                        if (index == 1 && !whole) {
                            // Not a login: what was held goes on, the rest of the command passes as it comes.
                            out.accept(held);
                            held = null;
                            from = i;
                        }
                    }
                    if (index == elements) {
                        from = ended(out, i, from);
                    } else {
                        state = State.BULK_START;
                    }
                }
                case INLINE -> {
                    if (b == '\n') {
                        args.addAll(words(held));
                        whole = !args.isEmpty() && loginCommand(args.getFirst());
                        from = ended(out, i, from);
                    }
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
        if (held == null && end > from) {
            out.accept(in.retainedSlice(from, end - from));
        }
    }

    /**
     * A command has ended at {@code i}: a held login goes on rewritten, anything else held as it came.
     *
     * @return where the passing bytes not yet handed on start now
     */
    private int ended(Consumer<ByteBuf> out, int i, int from) {
        state = State.START;
        if (held == null) {
            return from; // it was passing: handed on with what follows
        }
        if (whole) {
            held.release();
            out.accept(command(rewritten()));
        } else {
            out.accept(held);
        }
        held = null;
        return i;
    }

    private List<String> rewritten() {
        List<String> a = new ArrayList<>(args.stream().map(x -> new String(x, StandardCharsets.UTF_8)).toList());
        if (a.getFirst().equalsIgnoreCase("AUTH")) {
            return defaultUser() ? List.of(a.getFirst(), login.password())
                    : List.of(a.getFirst(), login.username(), login.password());
        }
        // HELLO [protover [AUTH username password] [SETNAME name]]: only the AUTH pair changes.
        for (int j = 2; j + 2 < a.size(); j++) {
            if (a.get(j).equalsIgnoreCase("AUTH")) {
                a.set(j + 1, defaultUser() ? "default" : login.username());
                a.set(j + 2, login.password());
                break;
            }
        }
        return a;
    }

    private static boolean loginCommand(byte[] name) {
        String n = new String(name, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
        return n.equals("AUTH") || n.equals("HELLO");
    }

    private void hold(ByteBuf in, int at, int n) throws Malformed {
        if (held.readableBytes() + n > MAX_HELD) {
            throw new Malformed("a Redis command's name or login is longer than " + MAX_HELD + " bytes");
        }
        held.writeBytes(in, at, n);
    }

    private static long digit(long number, byte b) throws Malformed {
        if (b < '0' || b > '9') {
            throw new Malformed("not a Redis command");
        }
        long n = number * 10 + (b - '0');
        if (n > MAX_BULK) {
            throw new Malformed("a Redis length past the protocol's limit");
        }
        return n;
    }

    private static void expect(byte b, char c) throws Malformed {
        if (b != c) {
            throw new Malformed("not a Redis command");
        }
    }

    /** An inline command's words (Redis also reads quotes there; a login sent inline is rare and unquoted). */
    private static List<byte[]> words(ByteBuf line) {
        String s = line.toString(StandardCharsets.UTF_8).strip();
        var out = new ArrayList<byte[]>();
        for (String w : s.split("[ \t]+")) {
            if (!w.isEmpty()) {
                out.add(w.getBytes(StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private boolean defaultUser() {
        return login.username() == null || login.username().isEmpty() || login.username().equals("default");
    }

    private static ByteBuf command(List<String> words) {
        var b = new StringBuilder().append('*').append(words.size()).append("\r\n");
        ByteBuf out = Unpooled.buffer();
        out.writeCharSequence(b, StandardCharsets.UTF_8);
        for (String w : words) {
            byte[] bytes = w.getBytes(StandardCharsets.UTF_8);
            out.writeCharSequence("$" + bytes.length + "\r\n", StandardCharsets.UTF_8);
            out.writeBytes(bytes);
            out.writeCharSequence("\r\n", StandardCharsets.UTF_8);
        }
        return out;
    }

    @Override
    public void release() {
        if (held != null) {
            held.release();
            held = null;
        }
    }
}
