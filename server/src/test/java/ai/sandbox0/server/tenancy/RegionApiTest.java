package ai.sandbox0.server.tenancy;

import static ai.sandbox0.server.ApiReplies.assertError;
import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.store.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code /regions} of a single-region installation over HTTP, on both stores. */
@ParameterizedClass
@EnumSource(TestDatabases.Kind.class)
class RegionApiTest {

    @Parameter
    TestDatabases.Kind storeKind;

    @TempDir
    Path dataDir;

    private TestServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theOneRegionIsThisServerAtItsListenAddress() throws Exception {
        server = TestServer.start(dataDir, storeKind);
        JsonNode list = ok(server.authed("/regions"), 200);
        assertThat(list.get("regions")).hasSize(1);
        JsonNode region = list.get("regions").get(0);
        assertThat(region.get("id").asText()).isEqualTo("local");
        assertThat(region.get("display_name").asText()).isEqualTo("local");
        assertThat(region.get("enabled").asBoolean()).isTrue();
        assertThat(region.has("metering_export_url")).isFalse();
        URI url = URI.create(region.get("regional_gateway_url").asText());
        assertThat(url).isEqualTo(server.server().baseUri());
        // The URL it names is this server.
        assertThat(server.send(java.net.http.HttpRequest.newBuilder(url.resolve("/healthz"))).statusCode()).isEqualTo(200);

        assertThat(ok(server.authed("/regions/local"), 200)).isEqualTo(region);
        assertError(server.authed("/regions/aws-us-east-1"), 404, "not_found", "region not found");
    }

    @Test
    void anyCallerMayReadAndNobodyWrites() throws Exception {
        server = TestServer.start(dataDir, TestServer.storeOf(storeKind),
                config -> config.withPublicUrl(URI.create("https://s0.example.com/gateway/")));
        String viewer = server.keyWithRoles(Role.VIEWER);
        JsonNode region = ok(server.get("/regions/local", "Authorization", "Bearer " + viewer), 200);
        assertThat(region.get("regional_gateway_url").asText()).isEqualTo("https://s0.example.com/gateway");
        assertError(server.get("/regions"), 401, "unauthorized", "missing authorization header");
        assertError(server.get("/regions/local"), 401, "unauthorized", "missing authorization header");

        // A regional gateway has no region directory to change: upstream's answer there is 404 for everyone.
        String create = "{\"id\":\"eu-1\",\"regional_gateway_url\":\"https://eu.example.com\"}";
        for (String key : new String[] {server.adminKey(), viewer}) {
            assertError(server.json("POST", "/regions", create, key), 404, "not_found", "managed by a global gateway");
            assertError(server.json("PUT", "/regions/local", "{\"enabled\":false}", key), 404, "not_found",
                    "managed by a global gateway");
            assertError(server.json("DELETE", "/regions/local", null, key), 404, "not_found",
                    "managed by a global gateway");
        }
        assertError(server.send(java.net.http.HttpRequest.newBuilder(server.uri("/regions"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(create))), 404, "not_found", "not found");
        assertThat(ok(server.authed("/regions/local"), 200).get("enabled").asBoolean()).isTrue();
    }
}
