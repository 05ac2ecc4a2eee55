package ai.sandbox0.procd.rpc.file;

import ai.sandbox0.procd.file.FileService;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;

/**
 * GET /files?path=: raw bytes as application/octet-stream, or {@code {content, encoding:"base64"}}
 * when Accept or Content-Type mentions application/json. Both are streamed, so a large file never
 * sits in procd's small heap.
 */
public final class ReadFile implements Rpc {

    private final FileService files;

    public ReadFile(FileService files) {
        this.files = files;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        var path = files.readable(call.query("path"));
        boolean json = contains(call.header("Accept")) || contains(call.header("Content-Type"));
        var exchange = call.exchange();
        try (InputStream in = Files.newInputStream(path)) {
            if (json) {
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, 0);
                OutputStream out = exchange.getResponseBody();
                out.write("{\"success\":true,\"data\":{\"content\":\"".getBytes(StandardCharsets.US_ASCII));
                OutputStream b64 = Base64.getEncoder().wrap(nonClosing(out));
                in.transferTo(b64);
                b64.close(); // writes the padding, leaves the response open
                out.write("\",\"encoding\":\"base64\"}}".getBytes(StandardCharsets.US_ASCII));
            } else {
                long size = Files.size(path);
                exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
                exchange.sendResponseHeaders(200, size == 0 ? -1 : size);
                if (size > 0) {
                    in.transferTo(exchange.getResponseBody());
                }
            }
        }
        return Reply.SENT;
    }

    private static boolean contains(String header) {
        return header != null && header.toLowerCase(java.util.Locale.ROOT).contains("application/json");
    }

    private static OutputStream nonClosing(OutputStream out) {
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws java.io.IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws java.io.IOException {
                flush();
            }
        };
    }
}
