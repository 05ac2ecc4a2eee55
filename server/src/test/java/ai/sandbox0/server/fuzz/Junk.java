package ai.sandbox0.server.fuzz;

import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Generators of what careless and hostile clients send: strings no form would produce, JSON of the wrong
 * shape, broken JSON, broken UTF-8, nesting and sizes past every limit, junk path segments. All of it is
 * built from QuickTheories' own generators, so a failing input shrinks.
 */
final class Junk {

    private Junk() {
    }

    /** Strings that have broken servers before: controls, bidi overrides, lone surrogates, look-alikes, payloads. */
    static final List<String> NASTY = List.of("", " ", "\u0000", "a\u0000b", "\u202Eevil\u202C", "\u200B",
            "\uFEFF", "\uFFFF", "\uFFFE", "\uD800", "\uDFFF", "x\uDBFFy", "\uDBFF\uDFFF", "👍🏽", "🏳️‍🌈",
            "Z\u0351\u0358a\u0334l\u0489g\u0336o", "ǅ", "İ", "ß", "\r\n", "\t", "\u0085", "\u2028", "..", "../..",
            "%00", "%s%n%x", "' OR '1'='1", "\"; DROP TABLE users; --", "${jndi:ldap://example.invalid/a}",
            "<script>alert(1)</script>", "null", "true", "0", "-1", "NaN", "admin", "viewer", "developer", "builder",
            "ADMIN", " admin ", "owner", "team", "platform", "TEAM", "30d", "never", "-1d", "99999999d",
            "active_sandboxes", "@", "a@", "@b", "a@b", "a@@b", "a b@c", "admin@localhost", "ADMIN@LOCALHOST",
            " admin@localhost ", "x".repeat(64) + "@" + "y".repeat(255), "x".repeat(65) + "@y",
            "https://example.com/a.png", "http://[::1]:0/", "javascript:alert(1)", "file:///etc/passwd",
            "http://", "//evil.example", "ssh-ed25519", "ssh-ed25519 AAAA", "-----BEGIN OPENSSH PRIVATE KEY-----");

    /** Path segments that are not what a route expects, as raw request-target bytes (some not even valid URIs). */
    static final List<String> SEGMENT_JUNK = List.of("", ".", "..", "%2e%2e", "%2E", "%2F", "%2f..%2f", "%00",
            "%", "%Z", "%ZZ", "%%", "%e2%80%ae", "%F0%9F%98%80", "%C3%28", "%ED%A0%80", "%C0%AF", "%FF", "%0d%0a",
            ";", ";a=b", "a;b=c", "%3B", "~", "*", "-", "null", "undefined", "ACTIVE_SANDBOXES", "active_sandboxes%20",
            "%20active_sandboxes", "active%5Fsandboxes", "0", "-1", "9999999999999999999999", "00000000-0000-0000"
                    + "-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "{id}", "a b", "\\", "%5C",
            "?x=1", "#f", "//", "a/b", "x/" + "y".repeat(4_000));

    /** Number tokens at and past the edges of every numeric type, and some that are not JSON at all. */
    static final List<String> NUMBERS = List.of("0", "-0", "0.0", "-0.0", "1", "-1", "1e400", "-1e400",
            "1e-400", "4.9e-324", "1.7976931348623157e309", "9223372036854775807", "9223372036854775808",
            "-9223372036854775808", "-9223372036854775809", "18446744073709551616", "2147483648", "0.5", "1E2",
            "1e+2", "1.0", "123456789012345678901234567890", "9".repeat(1001), "0." + "1".repeat(2000),
            "NaN", "Infinity", "-Infinity", "-", "01", "1.", ".5", "0x10", "1e", "+1", "1_000");

    /** Tokens that are not JSON values. */
    static final List<String> BAD_TOKENS = List.of("'single'", "\"\\x41\"", "\"\\u12\"", "\"\\uZZZZ\"",
            "\"\t\"", "\"unterminated", "undefined", "True", "nul", "[1,]", "{\"a\":1,}", "{,}", "[,1]", "{\"a\"}",
            "{\"a\" 1}", "{1:2}", "/* c */ 1", "// c\n1", "[1 2]", "\"a\" \"b\"", "}", "]");

    // ---- strings

    /** Any string, with {@code known} values (real ids, emails) mixed in so that deeper checks are reached. */
    static Gen<String> text(List<String> known) {
        return Generate.frequency(List.of(
                Pair.of(4, strings().ascii().ofLengthBetween(0, 24)),
                Pair.of(4, strings().allPossible().ofLengthBetween(0, 24)),
                Pair.of(2, strings().betweenCodePoints(0x1F300, 0x1FAFF).ofLengthBetween(1, 8)),
                Pair.of(2, strings().betweenCodePoints(0x0590, 0x06FF).ofLengthBetween(1, 16)),
                Pair.of(5, Generate.pick(NASTY)),
                Pair.of(3, Generate.pick(known)),
                Pair.of(1, longStrings())));
    }

    /** Long, not huge: past every length check, well under the body limit. */
    static Gen<String> longStrings() {
        return Generate.pick(List.of("a", "é", "👍", "\u0000", "\\", "\"", "\uD800", "ab@"))
                .zip(integers().between(200, 40_000), String::repeat);
    }

    /** A JSON string literal of {@code value}: lone surrogates and controls as escapes, the rest as is. */
    static String quote(String value) {
        var out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean pairedHigh = Character.isHighSurrogate(c) && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1));
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || (Character.isSurrogate(c) && !pairedHigh
                    && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(value.charAt(i - 1))))) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    static Gen<String> quoted(List<String> known) {
        return text(known).map(s -> quote(s));
    }

    static Gen<String> numbers() {
        return Generate.frequency(List.of(
                Pair.of(3, Generate.pick(NUMBERS)),
                Pair.of(1, longs().all().map(n -> Long.toString(n))),
                Pair.of(1, integers().between(-5, 1_000_000).map(n -> Integer.toString(n)))));
    }

    // ---- JSON values

    /** Any JSON value (and now and then something that only looks like one), nested at most {@code depth}. */
    static Gen<String> value(int depth, List<String> keys, List<String> known) {
        Gen<String> leaf = Generate.frequency(List.of(
                Pair.of(2, Generate.pick(List.of("null", "true", "false"))),
                Pair.of(3, numbers()),
                Pair.of(4, quoted(known)),
                Pair.of(1, Generate.pick(BAD_TOKENS))));
        if (depth == 0) {
            return leaf;
        }
        Gen<String> inner = value(depth - 1, keys, known);
        Gen<String> array = lists().of(inner).ofSizeBetween(0, 4).map(items -> "[" + String.join(",", items) + "]");
        Gen<String> object = lists().of(entry(keys, known, inner)).ofSizeBetween(0, 4)
                .map(entries -> "{" + String.join(",", entries) + "}");
        return Generate.frequency(List.of(Pair.of(5, leaf), Pair.of(2, array), Pair.of(2, object)));
    }

    private static Gen<String> entry(List<String> keys, List<String> known, Gen<String> value) {
        Gen<String> key = Generate.frequency(List.of(
                Pair.of(6, Generate.pick(keys)),
                Pair.of(2, strings().ascii().ofLengthBetween(0, 8)),
                Pair.of(1, text(known))));
        return key.map(k -> quote(k)).zip(value, (k, v) -> k + ":" + v);
    }

    // ---- bodies

    /** A request body and what kind of junk it is; its string form stays short whatever its size. */
    record Body(String kind, byte[] bytes) {

        @Override
        public String toString() {
            return kind + " (" + bytes.length + " bytes) " + preview(bytes, 160);
        }
    }

    /**
     * Bodies for an endpoint whose fields are {@code shape} (name to a generator of a well-typed JSON value):
     * the right fields with nasty values, wrong types, duplicates, broken and truncated JSON, invalid UTF-8,
     * deep nesting, huge values on both sides of {@code limit}, edge numbers, other encodings, raw bytes.
     */
    static Gen<Body> bodies(Map<String, Gen<String>> shape, List<String> known, long limit) {
        List<String> keys = shape.isEmpty() ? List.of("x") : List.copyOf(shape.keySet());
        Gen<String> typed = wellTyped(shape, known);
        return Generate.frequency(List.of(
                Pair.of(25, typed.map(json -> body("well-typed", json))),
                Pair.of(15, lists().of(entry(keys, known, value(2, keys, known))).ofSizeBetween(0, 6)
                        .map(entries -> body("wrong types", "{" + String.join(",", entries) + "}"))),
                Pair.of(8, value(3, keys, known).map(json -> body("top-level value", json))),
                Pair.of(8, typed.zip(integers().between(0, 10_000), (json, cut) ->
                        body("truncated", json.substring(0, cut % Math.max(1, json.length()))))),
                Pair.of(8, invalidUtf8(typed)),
                Pair.of(6, nested()),
                Pair.of(5, huge(keys, limit)),
                Pair.of(5, lists().of(Generate.pick(keys).zip(numbers(), (k, n) -> quote(k) + ":" + n))
                        .ofSizeBetween(1, 4).map(entries -> body("numbers", "{" + String.join(",", entries) + "}"))),
                Pair.of(4, Generate.byteArrays(integers().between(0, 256), Generate.bytes(Byte.MIN_VALUE,
                        Byte.MAX_VALUE, (byte) 0)).map(bytes -> new Body("raw bytes", bytes))),
                Pair.of(4, encodings(typed))));
    }

    private static Gen<String> wellTyped(Map<String, Gen<String>> shape, List<String> known) {
        if (shape.isEmpty()) {
            return Generate.constant("{}");
        }
        var present = new ArrayList<Gen<String>>();
        shape.forEach((name, value) -> present.add(Generate.frequency(List.of(
                Pair.of(9, value.map(v -> quote(name) + ":" + v)),
                Pair.of(1, Generate.constant(""))))));
        Gen<List<String>> all = Generate.constant(List.<String>of());
        for (Gen<String> field : present) {
            all = all.zip(field, (list, one) -> {
                var next = new ArrayList<>(list);
                if (!one.isEmpty()) {
                    next.add(one);
                }
                return next;
            });
        }
        return all.map(fields -> "{" + String.join(",", fields) + "}");
    }

    /** Byte sequences no UTF-8 decoder may accept: stray continuations, overlong forms, surrogates, truncation. */
    private static final List<byte[]> BAD_UTF8 = List.of(new byte[] {(byte) 0x80}, new byte[] {(byte) 0xC3, 0x28},
            new byte[] {(byte) 0xC0, (byte) 0xAF}, new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},
            new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80,
                    (byte) 0x80}, new byte[] {(byte) 0xE2, (byte) 0x82}, new byte[] {(byte) 0xFF},
            new byte[] {(byte) 0xFE, (byte) 0xFF}, new byte[] {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80,
                    (byte) 0x80});

    private static Gen<Body> invalidUtf8(Gen<String> typed) {
        return typed.zip(integers().between(0, 10_000), Generate.pick(BAD_UTF8), (json, at, bad) -> {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            // most of the time inside the first string value, where the decoder (not the grammar) must object
            int quote = json.indexOf(":\"");
            int position = quote >= 0 && at % 3 != 0 ? json.substring(0, quote + 2).getBytes(StandardCharsets.UTF_8).length
                    : at % (bytes.length + 1);
            var out = new ByteArrayOutputStream();
            out.write(bytes, 0, position);
            out.writeBytes(bad);
            out.write(bytes, position, bytes.length - position);
            return new Body("invalid UTF-8", out.toByteArray());
        });
    }

    /** Arrays and objects nested past Jackson's depth limit (and under it), closed or not, bare or in a field. */
    private static Gen<Body> nested() {
        return Generate.pick(List.of(10, 999, 1000, 1001, 5000, 10_000, 200_000))
                .zip(integers().between(0, 3), (depth, form) -> {
                    String json = switch (form) {
                        case 0 -> "[".repeat(depth) + "]".repeat(depth);
                        case 1 -> "[".repeat(depth);
                        case 2 -> "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
                        default -> "{\"name\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
                    };
                    return body("nested " + depth, json);
                });
    }

    /** A field (or the whole body) of a size just under, at and past the limit, and far past it. */
    private static Gen<Body> huge(List<String> keys, long limit) {
        Gen<Long> sizes = Generate.pick(List.of(limit / 8, limit - 64, limit, limit + 1, 3 * limit));
        return Generate.pick(keys).zip(sizes, Generate.pick(List.of("a", "é", "\\u0000", " ")), integers().between(0, 2),
                (key, size, unit, form) -> {
                    int count = (int) Math.max(1, (size - key.length() - 8) / unit.getBytes(StandardCharsets.UTF_8).length);
                    String padded = unit.repeat(count);
                    String json = switch (form) {
                        case 0 -> "{" + quote(key) + ":\"" + padded + "\"}";
                        case 1 -> "{" + quote(key) + ":[" + "1,".repeat(count / 2) + "1]}";
                        default -> " ".repeat(count) + "{}";
                    };
                    return body("huge " + size, json);
                });
    }

    private static Gen<Body> encodings(Gen<String> typed) {
        return typed.zip(integers().between(0, 9), (json, form) -> switch (form) {
            case 0 -> body("empty", "");
            case 1 -> body("whitespace", " \r\n\t ");
            case 2 -> new Body("BOM", concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8(json)));
            case 3 -> new Body("UTF-16BE", json.getBytes(StandardCharsets.UTF_16BE));
            case 4 -> new Body("UTF-16LE", json.getBytes(StandardCharsets.UTF_16LE));
            case 5 -> new Body("UTF-32", json.getBytes(java.nio.charset.Charset.forName("UTF-32")));
            case 6 -> body("null", "null");
            case 7 -> body("trailing", json + " {}");
            case 8 -> new Body("NUL-padded", concat(utf8(json), new byte[16]));
            default -> body("two documents", json + json);
        });
    }

    // ---- SSH public keys

    /**
     * Lines that look like OpenSSH public keys: a known type and base64 of key data framed like the real
     * thing (length-prefixed fields), but with lying lengths, random points and moduli, extra bytes.
     */
    static Gen<String> sshKeyLines() {
        Gen<String> type = Generate.pick(List.of("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-dss",
                "ssh-ed25519-cert-v01@openssh.com", "ssh-ed448", "x"));
        Gen<byte[]> field = Generate.byteArrays(integers().between(0, 600),
                Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0));
        Gen<Integer> lie = Generate.pick(List.of(-1, 0, 1, 0x7FFFFFFF, 0x80000000, 65, 1 << 20));
        Gen<String> blob = type.zip(lists().of(field).ofSizeBetween(0, 4), lie, integers().between(0, 5),
                (name, fields, badLength, where) -> {
                    var out = new ByteArrayOutputStream();
                    sshString(out, utf8(where == 0 ? "ssh-rsa" : name));
                    for (int i = 0; i < fields.size(); i++) {
                        byte[] f = fields.get(i);
                        if (i == where) {
                            writeInt(out, badLength);
                            out.writeBytes(f);
                        } else {
                            sshString(out, f);
                        }
                    }
                    return name + " " + Base64.getEncoder().encodeToString(out.toByteArray());
                });
        return Generate.frequency(List.of(
                Pair.of(6, blob.zip(Generate.pick(List.of("", " me@host", " \u202E", "  ", " " + "c".repeat(300))),
                        String::concat)),
                Pair.of(1, type.zip(strings().ascii().ofLengthBetween(0, 40), (t, junk) -> t + " " + junk)),
                Pair.of(1, Generate.pick(List.of("restrict ssh-ed25519 AAAA", "ssh-ed25519 ====", "ssh-ed25519\tAAAA\tx",
                        "ssh-ed25519 " + "A".repeat(30_000), "---- BEGIN SSH2 PUBLIC KEY ----", "-----BEGIN PUBLIC KEY-----",
                        "PuTTY-User-Key-File-3: ssh-ed25519")))));
    }

    private static void sshString(ByteArrayOutputStream out, byte[] bytes) {
        writeInt(out, bytes.length);
        out.writeBytes(bytes);
    }

    private static void writeInt(ByteArrayOutputStream out, int value) {
        out.write(value >>> 24);
        out.write(value >>> 16);
        out.write(value >>> 8);
        out.write(value);
    }

    // ---- path segments and headers

    /** A raw path segment (request-target bytes, not necessarily a valid URI). */
    record Segment(byte[] raw) {
        @Override
        public String toString() {
            return preview(raw, 80);
        }
    }

    /** Junk in a path parameter's place, and now and then one of the {@code known} good values. */
    static Gen<Segment> segments(List<String> known) {
        Gen<String> uuids = longs().all().zip(longs().all(), integers().between(0, 1), (a, b, upper) -> {
            String id = new UUID(a, b).toString();
            return upper == 1 ? id.toUpperCase(java.util.Locale.ROOT) : id;
        });
        return Generate.frequency(List.of(
                Pair.of(3, Generate.pick(known).map(Junk::ascii)),
                Pair.of(2, uuids.map(Junk::ascii)),
                Pair.of(5, Generate.pick(SEGMENT_JUNK).map(Junk::ascii)),
                Pair.of(3, strings().allPossible().ofLengthBetween(1, 16).map(s -> ascii(percentEncode(s)))),
                Pair.of(2, strings().betweenCodePoints(0xA0, 0x2FFF).ofLengthBetween(1, 8).map(s -> new Segment(utf8(s)))),
                Pair.of(1, Generate.pick(BAD_UTF8).map(Segment::new)),
                Pair.of(1, Generate.pick(List.of(300, 2_000, 8_000, 20_000)).map(n -> ascii("a".repeat(n))))));
    }

    private static Segment ascii(String s) {
        return new Segment(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    static String percentEncode(String s) {
        return HexFormat.of().withUpperCase().formatHex(utf8(s)).replaceAll("(..)", "%$1");
    }

    /** A Content-Type header value, or null for none. */
    static Gen<String> contentTypes() {
        return Generate.frequency(List.of(
                Pair.of(6, Generate.constant("application/json")),
                Pair.of(3, Generate.pick(List.of("", "text/plain", "application/json; charset=utf-16",
                        "application/json; charset=bogus", "application/x-www-form-urlencoded", "multipart/form-data",
                        "multipart/form-data; boundary=", "application/xml", "*/*", "application/json;;;", "\u00ff"))),
                Pair.of(1, Generate.constant((String) null))));
    }

    /** An X-Team-ID header value (null for none): junk, a random id, or one of the {@code known} team ids. */
    static Gen<String> teamHeaders(List<String> known) {
        return Generate.frequency(List.of(
                Pair.of(6, Generate.constant((String) null)),
                Pair.of(2, Generate.pick(known)),
                Pair.of(2, Generate.pick(List.of("", " ", "null", "..", "00000000-0000-0000-0000-000000000000",
                        "%00", "x".repeat(8_000), "x".repeat(20_000), "\u00e9", "a,b")))));
    }

    // ---- helpers

    static Body body(String kind, String json) {
        return new Body(kind, utf8(json));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The first {@code max} bytes, printable ASCII as is and the rest as {@code \xNN}. */
    static String preview(byte[] bytes, int max) {
        String shown = java.util.stream.IntStream.range(0, Math.min(max, bytes.length))
                .mapToObj(i -> {
                    int b = bytes[i] & 0xFF;
                    return b >= 0x20 && b < 0x7F ? Character.toString(b) : String.format("\\x%02x", b);
                })
                .collect(Collectors.joining());
        return bytes.length > max ? shown + "…" : shown;
    }
}
