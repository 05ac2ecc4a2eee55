package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.PlaceholderSubstitutionLocation;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Placeholder substitution in a request's header values, decoded query values and body. */
final class Substitution {

    private Substitution() {
    }

    static void headersAndQuery(HttpRequest request, EgressMaterial.Placeholders p) {
        for (EgressMaterial.Replacement r : p.replacements()) {
            if (r.locations().contains(PlaceholderSubstitutionLocation.HEADER)) {
                for (String name : request.headers().names()) {
                    List<String> values = request.headers().getAll(name);
                    if (values.stream().anyMatch(v -> v.contains(r.placeholder()))) {
                        request.headers().set(name, values.stream()
                                .map(v -> v.replace(r.placeholder(), r.value())).toList());
                    }
                }
            }
            if (r.locations().contains(PlaceholderSubstitutionLocation.QUERY)) {
                request.setUri(query(request.uri(), r));
            }
        }
    }

    /** The URI with the placeholder replaced in each decoded query value, re-encoded; unchanged when absent. */
    static String query(String uri, EgressMaterial.Replacement r) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return uri;
        }
        int hash = uri.indexOf('#', q);
        String query = hash < 0 ? uri.substring(q + 1) : uri.substring(q + 1, hash);
        var out = new StringBuilder();
        boolean changed = false;
        for (String pair : query.split("&", -1)) {
            if (!out.isEmpty()) {
                out.append('&');
            }
            int eq = pair.indexOf('=');
            if (eq < 0) {
                out.append(pair);
                continue;
            }
            String value;
            try {
                value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                out.append(pair);
                continue;
            }
            if (value.contains(r.placeholder())) {
                changed = true;
                out.append(pair, 0, eq + 1).append(encode(value.replace(r.placeholder(), r.value())));
            } else {
                out.append(pair);
            }
        }
        if (!changed) {
            return uri;
        }
        return uri.substring(0, q + 1) + out + (hash < 0 ? "" : uri.substring(hash));
    }

    /** Percent-encodes all but RFC 3986's unreserved characters. */
    static String encode(String value) {
        var sb = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
                    || c == '_' || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return sb.toString();
    }

    /** The body with each body placeholder replaced (the same buffer when none occurs). */
    static ByteBuf body(ByteBuf body, EgressMaterial.Placeholders p, io.netty.buffer.ByteBufAllocator alloc) {
        byte[] bytes = ByteBufUtil.getBytes(body);
        byte[] out = bytes;
        for (EgressMaterial.Replacement r : p.replacements()) {
            if (r.locations().contains(PlaceholderSubstitutionLocation.BODY)) {
                out = replace(out, r.placeholder().getBytes(StandardCharsets.UTF_8),
                        r.value().getBytes(StandardCharsets.UTF_8));
            }
        }
        return out == bytes ? body : Unpooled.wrappedBuffer(out);
    }

    static byte[] replace(byte[] in, byte[] what, byte[] with) {
        if (what.length == 0) {
            return in;
        }
        var out = new java.io.ByteArrayOutputStream(in.length);
        int i = 0;
        boolean any = false;
        outer:
        while (i <= in.length - what.length) {
            for (int j = 0; j < what.length; j++) {
                if (in[i + j] != what[j]) {
                    out.write(in[i]);
                    i++;
                    continue outer;
                }
            }
            out.write(with, 0, with.length);
            i += what.length;
            any = true;
        }
        if (!any) {
            return in;
        }
        out.write(in, i, in.length - i);
        return out.toByteArray();
    }
}
