package ai.sandbox0.procd;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** §6: every file endpoint and error row, acceptance scenarios 33–39. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FileApiTest {

    ProcdProcess procd;
    String base;

    @BeforeAll
    void start() throws Exception {
        procd = ProcdProcess.start();
        base = Files.createTempDirectory("procd-files").toString();
    }

    @AfterAll
    void stop() throws Exception {
        procd.close();
        ProcdProcess.delete(Path.of(base));
    }

    private String q(String path) {
        return java.net.URLEncoder.encode(path, StandardCharsets.UTF_8);
    }

    @Test
    void writeCreatesParentsAndReadsBackRawOrBase64() throws Exception {
        String p = base + "/a/b/h.txt";
        var w = procd.postBytes("/api/v1/files?path=" + q(p), "hello".getBytes());
        assertThat(w.status()).isEqualTo(200);
        assertThat(w.data().get("written").asBoolean()).isTrue();
        var raw = procd.http.send(procd.request("/api/v1/files?path=" + q(p)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(raw.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
        assertThat(new String(raw.body())).isEqualTo("hello");
        var json = procd.send(procd.request("/api/v1/files?path=" + q(p)).header("Accept", "application/json").GET().build());
        assertThat(json.body()).isEqualTo("{\"success\":true,\"data\":{\"content\":\"aGVsbG8=\",\"encoding\":\"base64\"}}");
        var viaContentType = procd.send(procd.request("/api/v1/files?path=" + q(p))
                .header("Content-Type", "application/json; charset=utf-8").GET().build());
        assertThat(viaContentType.data().get("content").asText()).isEqualTo("aGVsbG8=");
        assertThat(Files.getPosixFilePermissions(Path.of(p))).isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
        // Overwrite truncates; an empty file reads back empty.
        procd.postBytes("/api/v1/files?path=" + q(p), new byte[0]);
        assertThat(procd.get("/api/v1/files?path=" + q(p)).body()).isEmpty();
        // Binary content survives both ways.
        byte[] bin = new byte[70_000];
        new java.util.Random(1).nextBytes(bin);
        procd.postBytes("/api/v1/files?path=" + q(base + "/bin"), bin);
        var back = procd.http.send(procd.request("/api/v1/files?path=" + q(base + "/bin")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(back.body()).isEqualTo(bin);
        var b64 = procd.send(procd.request("/api/v1/files?path=" + q(base + "/bin")).header("Accept", "application/json").GET().build());
        assertThat(java.util.Base64.getDecoder().decode(b64.data().get("content").asText())).isEqualTo(bin);
    }

    @Test
    void relativePathsResolveAgainstTheWorkspace() throws Exception {
        procd.postBytes("/api/v1/files?path=tmp/rel.txt", "r".getBytes());
        assertThat(Files.readString(procd.workspace.resolve("tmp/rel.txt"))).isEqualTo("r");
        assertThat(procd.get("/api/v1/files/stat?path=tmp/rel.txt").data().get("path").asText()).isEqualTo("tmp/rel.txt");
    }

    @Test
    void readErrors() {
        var noPath = procd.get("/api/v1/files");
        assertThat(noPath.status()).isEqualTo(400);
        var missing = procd.get("/api/v1/files?path=" + q(base + "/nope"));
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.code()).isEqualTo("file_not_found");
        var dir = procd.get("/api/v1/files?path=" + q(base));
        assertThat(dir.status()).isEqualTo(409);
        assertThat(dir.code()).isEqualTo("path_not_file");
    }

    @Test
    void writeErrors() throws Exception {
        var isDir = procd.postBytes("/api/v1/files?path=" + q(base), "x".getBytes());
        assertThat(isDir.status()).isEqualTo(409);
        assertThat(isDir.code()).isEqualTo("path_not_file");
        procd.postBytes("/api/v1/files?path=" + q(base + "/plain"), "x".getBytes());
        var parentIsFile = procd.postBytes("/api/v1/files?path=" + q(base + "/plain/child"), "x".getBytes());
        assertThat(parentIsFile.status()).isEqualTo(409);
        assertThat(parentIsFile.code()).isEqualTo("path_not_directory");
        assertThat(procd.postBytes("/api/v1/files", "x".getBytes()).status()).isEqualTo(400);
    }

    @Test
    void writeOver100MiBIs413AndLeavesNothing() throws Exception {
        String p = base + "/big.bin";
        byte[] chunk = new byte[1024 * 1024];
        var publisher = HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofByteArrays(() -> new java.util.Iterator<>() {
                    int n;

                    public boolean hasNext() {
                        return n < 101;
                    }

                    public byte[] next() {
                        n++;
                        return chunk;
                    }
                }));
        var r = procd.send(procd.request("/api/v1/files?path=" + q(p)).POST(publisher).build());
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.code()).isEqualTo("file_too_large");
        assertThat(Path.of(p)).doesNotExist();
        try (var siblings = Files.list(Path.of(base))) {
            assertThat(siblings.map(Path::toString).filter(s -> s.contains(".tmp-"))).isEmpty();
        }
    }

    @Test
    void mkdirRecursiveAndExisting() {
        var r = procd.post("/api/v1/files?path=" + q(base + "/d1/d2") + "&mkdir=true&recursive=true", null);
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.data().get("created").asBoolean()).isTrue();
        assertThat(Path.of(base, "d1/d2")).isDirectory();
        var again = procd.post("/api/v1/files?path=" + q(base + "/d1/d2") + "&mkdir=true&recursive=true", null);
        assertThat(again.status()).isEqualTo(201);
        var exists = procd.post("/api/v1/files?path=" + q(base + "/d1") + "&mkdir=true", null);
        assertThat(exists.status()).isEqualTo(409);
        assertThat(exists.code()).isEqualTo("path_exists");
        var noParent = procd.post("/api/v1/files?path=" + q(base + "/x1/x2") + "&mkdir=true", null);
        assertThat(noParent.status()).isEqualTo(404);
        procd.postBytes("/api/v1/files?path=" + q(base + "/afile"), "x".getBytes());
        var underFile = procd.post("/api/v1/files?path=" + q(base + "/afile/sub") + "&mkdir=true&recursive=true", null);
        assertThat(underFile.status()).isEqualTo(409);
        assertThat(underFile.code()).isEqualTo("path_not_directory");
        // Only a literal "true" counts: mkdir=1 is a write of the (empty) body.
        var literal = procd.post("/api/v1/files?path=" + q(base + "/notadir") + "&mkdir=1", null);
        assertThat(literal.status()).isEqualTo(200);
        assertThat(Path.of(base, "notadir")).isRegularFile();
    }

    @Test
    void statFileDirAndSymlink() throws Exception {
        String p = base + "/s/h.txt";
        procd.postBytes("/api/v1/files?path=" + q(p), "hello".getBytes());
        var s = procd.get("/api/v1/files/stat?path=" + q(p)).data();
        assertThat(s.get("type").asText()).isEqualTo("file");
        assertThat(s.get("size").asLong()).isEqualTo(5);
        assertThat(s.get("mode").asText()).isEqualTo("0644");
        assertThat(s.get("name").asText()).isEqualTo("h.txt");
        assertThat(s.get("path").asText()).isEqualTo(p);
        assertThat(s.get("is_link").asBoolean()).isFalse();
        assertThat(s.has("link_target")).isFalse();
        assertThat(s.get("mod_time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        var d = procd.get("/api/v1/files/stat?path=" + q(base + "/s")).data();
        assertThat(d.get("type").asText()).isEqualTo("dir");
        assertThat(d.get("mode").asText()).isEqualTo("0755");
        Files.createSymbolicLink(Path.of(base, "s/link"), Path.of(p));
        var l = procd.get("/api/v1/files/stat?path=" + q(base + "/s/link")).data();
        assertThat(l.get("type").asText()).isEqualTo("symlink");
        assertThat(l.get("is_link").asBoolean()).isTrue();
        assertThat(l.get("link_target").asText()).isEqualTo(p);
        var missing = procd.get("/api/v1/files/stat?path=" + q(base + "/none"));
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.code()).isEqualTo("file_not_found");
    }

    @Test
    void listOneLevel() throws Exception {
        String dir = base + "/l";
        procd.postBytes("/api/v1/files?path=" + q(dir + "/h.txt"), "hello".getBytes());
        procd.postBytes("/api/v1/files?path=" + q(dir + "/sub/deep.txt"), "x".getBytes());
        var entries = procd.get("/api/v1/files/list?path=" + q(dir)).data().get("entries");
        assertThat(entries).hasSize(2);
        var h = entries.get(0);
        assertThat(h.get("name").asText()).isEqualTo("h.txt");
        assertThat(h.get("path").asText()).isEqualTo(dir + "/h.txt");
        assertThat(h.get("type").asText()).isEqualTo("file");
        assertThat(entries.get(1).get("type").asText()).isEqualTo("dir");
        var file = procd.get("/api/v1/files/list?path=" + q(dir + "/h.txt"));
        assertThat(file.status()).isEqualTo(409);
        assertThat(file.code()).isEqualTo("path_not_directory");
        var missing = procd.get("/api/v1/files/list?path=" + q(base + "/nodir"));
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.code()).isEqualTo("directory_not_found");
    }

    @Test
    void moveCreatesDestinationParents() {
        String from = base + "/m/a/h.txt";
        String to = base + "/m/x/y/h.txt";
        procd.postBytes("/api/v1/files?path=" + q(from), "moved".getBytes());
        var r = procd.post("/api/v1/files/move", "{\"source\":\"" + from + "\",\"destination\":\"" + to + "\"}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.data().get("moved").asBoolean()).isTrue();
        assertThat(procd.get("/api/v1/files?path=" + q(from)).status()).isEqualTo(404);
        assertThat(procd.get("/api/v1/files?path=" + q(to)).body()).isEqualTo("moved");
        var missing = procd.post("/api/v1/files/move", "{\"source\":\"" + from + "\",\"destination\":\"" + to + "2\"}");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.code()).isEqualTo("file_not_found");
        var empty = procd.post("/api/v1/files/move", "{\"source\":\"\",\"destination\":\"" + to + "\"}");
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.code()).isEqualTo("invalid_paths");
        assertThat(procd.post("/api/v1/files/move", "{}").code()).isEqualTo("invalid_paths");
    }

    @Test
    void deleteIsRecursiveAndIdempotent() {
        procd.postBytes("/api/v1/files?path=" + q(base + "/del/a/b/c.txt"), "x".getBytes());
        var r = procd.delete("/api/v1/files?path=" + q(base + "/del"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.data().get("deleted").asBoolean()).isTrue();
        assertThat(Path.of(base, "del")).doesNotExist();
        assertThat(procd.delete("/api/v1/files?path=" + q(base + "/del")).status()).isEqualTo(200);
        assertThat(procd.delete("/api/v1/files").status()).isEqualTo(400);
    }

    @Test
    void otherMethodsAre405() {
        var r = procd.put("/api/v1/files?path=x", "{}");
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.code()).isEqualTo("method_not_allowed");
    }
}
