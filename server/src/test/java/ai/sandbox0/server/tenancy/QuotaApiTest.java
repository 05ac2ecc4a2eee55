package ai.sandbox0.server.tenancy;

import static ai.sandbox0.server.ApiReplies.assertError;
import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.store.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code /api/v1/quotas/{dimension}} over HTTP, on both stores (spec §8.4, acceptance 49 and 50). */
@ParameterizedClass
@EnumSource(TestDatabases.Kind.class)
class QuotaApiTest {

    @Parameter
    TestDatabases.Kind storeKind;

    @TempDir
    Path dataDir;

    private TestServer server;

    @BeforeEach
    void start() {
        server = TestServer.start(dataDir, storeKind);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void unsetIsNullSetIsKeptDeleteUnsets() throws Exception {
        JsonNode unset = ok(server.authed("/api/v1/quotas/active_sandboxes"), 200);
        assertThat(unset.get("dimension").asText()).isEqualTo("active_sandboxes");
        assertThat(unset.has("limit_value")).isTrue();
        assertThat(unset.get("limit_value").isNull()).isTrue();
        assertThat(unset.get("team_id").asText()).isNotBlank();

        JsonNode set = ok(server.json("PUT", "/api/v1/quotas/cpu_millicpu", "{\"limit_value\":4000}"), 200);
        assertThat(set.get("limit_value").asLong()).isEqualTo(4000);
        assertThat(ok(server.authed("/api/v1/quotas/cpu_millicpu"), 200).get("limit_value").asLong()).isEqualTo(4000);
        assertThat(ok(server.json("PUT", "/api/v1/quotas/cpu_millicpu", "{\"limit_value\":0}"), 200).get("limit_value").asLong())
                .isZero();

        assertThat(ok(server.json("DELETE", "/api/v1/quotas/cpu_millicpu", null), 200).get("deleted").asBoolean()).isTrue();
        assertThat(ok(server.authed("/api/v1/quotas/cpu_millicpu"), 200).get("limit_value").isNull()).isTrue();
    }

    @Test
    void badValuesAndUnknownDimensionsAre400s() throws Exception {
        assertError(server.json("PUT", "/api/v1/quotas/active_sandboxes", "{\"limit_value\":-1}"), 400, "bad_request",
                "limit_value is required and must be >= 0");
        assertError(server.json("PUT", "/api/v1/quotas/active_sandboxes", "{}"), 400, "bad_request", "limit_value");
        assertError(server.json("PUT", "/api/v1/quotas/gpus", "{\"limit_value\":1}"), 400, "bad_request",
                "unknown quota dimension 'gpus': one of active_sandboxes, cpu_millicpu, memory_mib");
        assertError(server.authed("/api/v1/quotas/gpus"), 400, "bad_request", "unknown quota dimension");
        // a long path segment is not quoted back whole
        var tooLong = server.authed("/api/v1/quotas/" + "g".repeat(10_000));
        assertError(tooLong, 400, "bad_request", "unknown quota dimension '" + "g".repeat(64) + "…': one of");
        assertThat(tooLong.body().length()).isLessThan(500);
        assertError(server.json("PUT", "/api/v1/quotas/active_sandboxes", "{\"limit_value\":\"ten\"}"), 400,
                "bad_request", "limit_value");
    }

    @Test
    void viewersReadButDoNotWrite() throws Exception {
        String viewer = server.keyWithRoles(Role.VIEWER);
        assertThat(server.get("/api/v1/quotas/memory_mib", "Authorization", "Bearer " + viewer).statusCode()).isEqualTo(200);
        assertError(server.json("PUT", "/api/v1/quotas/memory_mib", "{\"limit_value\":1}", viewer), 403, "forbidden",
                "insufficient permissions");
        assertError(server.json("DELETE", "/api/v1/quotas/memory_mib", null, viewer), 403, "forbidden",
                "insufficient permissions");
    }
}
