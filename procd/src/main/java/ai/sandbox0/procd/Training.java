package ai.sandbox0.procd;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * {@code --train}: a short, typical workload against an in-process procd on a loopback port, run under
 * {@code -XX:AOTCacheOutput=procd.aot} to record the AOT cache that makes later starts fast
 * and shares class metadata between the procds of a host. Talks raw HTTP/1.1 over a socket so no
 * client library ends up in the archive.
 */
final class Training {

    private Training() {
    }

    static void run(ProcdConfig base) throws Exception {
        Path dir = Files.createTempDirectory("procd-train");
        String token = UUID.randomUUID().toString();
        ProcdConfig cfg = new ProcdConfig("127.0.0.1", 0, token, dir, null, base.outputMaxBytes(),
                base.outputMaxFrames(), 5_000, 0, 0, 3600, 256, false);
        try (Procd procd = Procd.start(cfg)) {
            var c = new LoopbackClient(procd.port(), token);
            c.call("GET", "/healthz", null);
            c.call("POST", "/api/v1/files?path=a/b.txt", "hello");
            c.call("GET", "/api/v1/files?path=a/b.txt", null);
            c.call("GET", "/api/v1/files/stat?path=a/b.txt", null);
            c.call("GET", "/api/v1/files/list?path=a", null);
            c.call("POST", "/api/v1/files?path=d/e&mkdir=true&recursive=true", "");
            c.call("POST", "/api/v1/files/move", "{\"source\":\"a/b.txt\",\"destination\":\"d/e/b.txt\"}");
            c.call("DELETE", "/api/v1/files?path=d", null);
            String cmd = c.call("POST", "/api/v1/contexts",
                    "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"echo hi; echo err >&2\"]},"
                            + "\"wait_until_done\":true,\"env_vars\":{\"A\":\"b\"}}");
            String cmdId = id(cmd);
            c.call("GET", "/api/v1/contexts/" + cmdId + "/stream", null);
            c.call("GET", "/api/v1/contexts/" + cmdId + "/stats", null);
            c.call("DELETE", "/api/v1/contexts/" + cmdId, null);
            for (String alias : new String[] {"python", "bash"}) {
                String repl = c.call("POST", "/api/v1/contexts", "{\"type\":\"repl\",\"repl\":{\"alias\":\"" + alias + "\"}}");
                String id = id(repl);
                if (id == null) {
                    continue; // interpreter not installed on this machine
                }
                for (int i = 0; i < 20; i++) {
                    c.call("POST", "/api/v1/contexts/" + id + "/exec", "{\"data\":\"echo " + i + "\"}");
                }
                c.call("POST", "/api/v1/contexts/" + id + "/input", "{\"data\":\"\\n\",\"request_id\":\"r\"}");
                c.call("POST", "/api/v1/contexts/" + id + "/stream", "{\"type\":\"resize\",\"rows\":30,\"cols\":100}");
                c.call("POST", "/api/v1/contexts/" + id + "/signal", "{\"signal\":\"INT\"}");
                c.call("GET", "/api/v1/contexts", null);
                c.call("DELETE", "/api/v1/contexts/" + id, null);
            }
            for (int i = 0; i < 20; i++) {
                String r = c.call("POST", "/api/v1/contexts",
                        "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"true\"]},\"wait_until_done\":true}");
                c.call("DELETE", "/api/v1/contexts/" + id(r), null);
            }
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String id(String response) {
        int i = response.indexOf("\"id\":\"");
        return i < 0 ? null : response.substring(i + 6, response.indexOf('"', i + 6));
    }
}
