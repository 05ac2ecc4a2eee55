package ai.sandbox0.procd;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Every path but health needs the per-sandbox bearer token. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthTest {

    ProcdProcess procd;

    @BeforeAll
    void start() throws Exception {
        procd = ProcdProcess.start();
    }

    @AfterAll
    void stop() throws Exception {
        procd.close();
    }

    private ProcdProcess.Resp raw(String method, String path, String authorization) {
        var b = HttpRequest.newBuilder(procd.uri(path)).method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return procd.send(b.build());
    }

    @Test
    void healthNeedsNoToken() {
        var r = raw("GET", "/healthz", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"success\":true,\"data\":{\"status\":\"healthy\"}}");
    }

    @Test
    void everythingElseDoes() {
        String[][] routes = {
                {"GET", "/api/v1/contexts"}, {"POST", "/api/v1/contexts"}, {"GET", "/api/v1/contexts/ctx-1"},
                {"DELETE", "/api/v1/contexts/ctx-1"}, {"POST", "/api/v1/contexts/ctx-1/exec"},
                {"GET", "/api/v1/contexts/ctx-1/stream"}, {"POST", "/api/v1/contexts/ctx-1/stream"},
                {"GET", "/api/v1/files?path=/etc/hostname"}, {"POST", "/api/v1/files?path=/tmp/x"},
                {"GET", "/api/v1/files/watch?path=/tmp"}, {"GET", "/api/v1/env"}, {"GET", "/nope"}};
        for (String[] r : routes) {
            var missing = raw(r[0], r[1], null);
            assertThat(missing.status()).as(r[1]).isEqualTo(401);
            assertThat(missing.code()).isEqualTo("unauthorized");
            assertThat(missing.message()).isEqualTo("missing authorization header");
            var basic = raw(r[0], r[1], "Basic abc");
            assertThat(basic.message()).isEqualTo("invalid authorization header format");
            var wrong = raw(r[0], r[1], "Bearer " + procd.token + "x");
            assertThat(wrong.status()).isEqualTo(401);
            assertThat(wrong.body()).doesNotContain(procd.token);
        }
        assertThat(raw("GET", "/api/v1/contexts", "Bearer " + procd.token).status()).isEqualTo(200);
        assertThat(raw("GET", "/api/v1/contexts", "bearer " + procd.token).status()).isEqualTo(200);
    }

    @Test
    void unknownRoutesAre404() {
        var r = procd.get("/api/v1/nothing");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.code()).isEqualTo("not_found");
        assertThat(procd.get("/api/v1/contexts/ctx-1/bogus").status()).isEqualTo(404);
    }

    @Test
    void theTokenIsNeverLogged() throws Exception {
        raw("GET", "/api/v1/contexts", "Bearer wrong");
        assertThat(java.nio.file.Files.readString(procd.log)).doesNotContain(procd.token);
    }
}
