package ai.sandbox0.server.template;

import static ai.sandbox0.server.ApiReplies.assertError;
import static ai.sandbox0.server.ApiReplies.data;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.auth.Role;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /api/v1/templates} end to end (spec: storage-templates-credentials-tenancy §5). */
@org.junit.jupiter.params.ParameterizedClass
@org.junit.jupiter.params.provider.EnumSource(ai.sandbox0.server.store.TestDatabases.Kind.class)
class TemplateApiTest {

    @org.junit.jupiter.params.Parameter
    ai.sandbox0.server.store.TestDatabases.Kind storeKind;


    private static final String SPEC = """
            {"displayName":"Py","mainContainer":{"image":"default","resources":{"cpu":"1","memory":"4Gi"}},
             "pool":{"minIdle":0,"maxIdle":2},"envVars":{"A":"1"}}""";

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
    void builtinDefaultIsPublicAndListed() throws Exception {
        JsonNode list = data(server.authed("/api/v1/templates"));
        assertThat(list.get("count").asInt()).isEqualTo(1);
        JsonNode template = list.get("templates").get(0);
        assertThat(template.get("template_id").asText()).isEqualTo("default");
        assertThat(template.get("scope").asText()).isEqualTo("public");
        assertThat(template.has("team_id")).isFalse();
        assertThat(template.at("/spec/mainContainer/resources/memory").asText()).isEqualTo("2Gi");
        assertThat(template.at("/spec/pool/minIdle").asInt()).isEqualTo(1);
        assertThat(template.at("/status/idleCount").isInt()).isTrue();
        assertThat(template.at("/status/activeCount").isInt()).isTrue();

        assertThat(data(server.authed("/api/v1/templates/default")).get("template_id").asText()).isEqualTo("default");
    }

    @Test
    void createGetUpdateDeleteWithCamelCaseSpecAndSnakeCaseEnvelope() throws Exception {
        HttpResponse<String> created = server.json("POST", "/api/v1/templates", "{\"template_id\":\" My-Py \",\"spec\":" + SPEC + "}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode template = data(created);
        assertThat(template.get("template_id").asText()).isEqualTo("my-py");
        assertThat(template.get("scope").asText()).isEqualTo("team");
        assertThat(template.get("team_id").asText()).isNotBlank();
        assertThat(template.at("/spec/displayName").asText()).isEqualTo("Py");
        assertThat(template.at("/spec/pool/maxIdle").asInt()).isEqualTo(2);
        assertThat(template.get("created_at").asText()).endsWith("Z");

        HttpResponse<String> updated = server.json("PUT", "/api/v1/templates/my-py",
                "{\"spec\":" + SPEC.replace("\"maxIdle\":2", "\"maxIdle\":3") + "}");
        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(200);
        assertThat(data(updated).at("/spec/pool/maxIdle").asInt()).isEqualTo(3);
        assertThat(data(server.authed("/api/v1/templates")).get("count").asInt()).isEqualTo(2);

        HttpResponse<String> deleted = server.json("DELETE", "/api/v1/templates/my-py", null);
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(data(deleted).get("message").asText()).isEqualTo("template deleted");
        assertError(server.authed("/api/v1/templates/my-py"), 404, "not_found", "template my-py not found");
        assertError(server.json("DELETE", "/api/v1/templates/my-py", null), 404, "not_found", "not found");
    }

    @Test
    void aTeamTemplateShadowsTheBuiltinAndTheBuiltinCannotBeChanged() throws Exception {
        assertError(server.json("PUT", "/api/v1/templates/default", "{\"spec\":" + SPEC + "}"), 404, "not_found", "default");
        assertError(server.json("DELETE", "/api/v1/templates/default", null), 404, "not_found", "default");

        assertThat(server.json("POST", "/api/v1/templates", "{\"template_id\":\"default\",\"spec\":" + SPEC + "}").statusCode())
                .isEqualTo(201);
        JsonNode resolved = data(server.authed("/api/v1/templates/default"));
        assertThat(resolved.get("scope").asText()).isEqualTo("team");
        assertThat(resolved.at("/spec/displayName").asText()).isEqualTo("Py");
        assertError(server.json("POST", "/api/v1/templates", "{\"template_id\":\"default\",\"spec\":" + SPEC + "}"),
                409, "conflict", "template already exists");
    }

    @Test
    void validationFailuresNameTheField() throws Exception {
        assertError(post("{\"spec\":" + SPEC + "}"), 400, "bad_request", "template_id is required");
        assertError(post("{\"template_id\":\"a/b\",\"spec\":" + SPEC + "}"), 400, "bad_request", "invalid template id");
        assertError(post("{\"template_id\":\"x\"}"), 400, "bad_request", "spec is required");
        assertError(post("{\"template_id\":\"x\",\"spec\":[]}"), 400, "bad_request", "spec must be a JSON object");
        assertError(post("{\"template_id\":\"x\",\"spec\":{\"lifecycle\":{},\"mainContainer\":{}}}"), 400, "bad_request",
                "spec.lifecycle is not supported");
        assertError(post("{\"template_id\":\"x\",\"spec\":{}}"), 400, "bad_request", "spec.mainContainer is required");
        assertError(post(spec("\"image\":\"\",\"resources\":{\"cpu\":\"1\",\"memory\":\"4Gi\"}")), 400, "bad_request",
                "spec.mainContainer.image is required");
        assertError(post(spec("\"image\":\"default\",\"resources\":{\"cpu\":\"1\",\"memory\":\"lots\"}")), 400, "bad_request",
                "spec.mainContainer.resources.memory: \"lots\" is not a quantity");
        assertError(post(spec("\"image\":\"default\",\"resources\":{\"cpu\":\"0\",\"memory\":\"0\"}")), 400, "bad_request",
                "memory must be greater than 0");
        assertError(post(spec("\"image\":\"default\",\"resources\":{\"cpu\":1,\"memory\":\"4Gi\"}")), 400, "bad_request",
                "'spec.mainContainer.resources.cpu': expected a string");
        assertError(post("{\"template_id\":\"x\",\"spec\":" + SPEC.replace("\"minIdle\":0", "\"minIdle\":3") + "}"), 400,
                "bad_request", "spec.pool.maxIdle must be greater than or equal to spec.pool.minIdle");
        assertError(post("{\"template_id\":\"x\",\"spec\":" + SPEC.replace("\"pool\"", "\"volumeMounts\":[{\"name\":\"w\",\"mountPath\":\"data\"}],\"pool\"") + "}"),
                400, "bad_request", "spec.volumeMounts[0].mountPath must be a clean absolute path");
    }

    @Test
    void memoryMustBeFourGibibytesPerCpu() throws Exception {
        assertError(post(spec("\"image\":\"default\",\"resources\":{\"cpu\":\"500m\",\"memory\":\"1Gi\"}")), 403, "forbidden",
                "total memory must equal total cpu * 4Gi (cpu 500m requires memory 2Gi, got 1Gi)");
        assertThat(post(spec("\"image\":\"default\",\"resources\":{\"cpu\":\"2\",\"memory\":\"8Gi\"}")).statusCode()).isEqualTo(201);
    }

    @Test
    void specWithoutCpuAsTheSdkSendsItGetsCpuFromMemory() throws Exception {
        HttpResponse<String> created = server.json("POST", "/api/v1/templates",
                "{\"template_id\":\"sdk\",\"spec\":{\"mainContainer\":{\"image\":\"default\",\"resources\":{\"memory\":\"2Gi\"}}}}");

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(data(created).at("/spec/mainContainer/resources/cpu").asText()).isEqualTo("500m");
    }

    @Test
    void privilegedFieldsNeedASystemIdentity() throws Exception {
        assertError(post("{\"template_id\":\"x\",\"spec\":" + SPEC.replace("\"pool\"", "\"clusterId\":\"c1\",\"pool\"") + "}"),
                403, "forbidden", "spec.clusterId is privileged");
        assertError(post(spec("\"image\":\"default\",\"imagePullPolicy\":\"Always\",\"resources\":{\"cpu\":\"1\",\"memory\":\"4Gi\"}")),
                403, "forbidden", "spec.mainContainer.imagePullPolicy is privileged");
    }

    @Test
    void rolesGateTemplateWrites() throws Exception {
        String viewer = server.keyWithRoles(Role.VIEWER);
        assertThat(server.get("/api/v1/templates", "Authorization", "Bearer " + viewer).statusCode()).isEqualTo(200);
        assertError(server.json("POST", "/api/v1/templates", "{\"template_id\":\"v\",\"spec\":" + SPEC + "}", viewer),
                403, "forbidden", "insufficient permissions");
        String developer = server.keyWithRoles(Role.DEVELOPER);
        assertError(server.json("POST", "/api/v1/templates", "{\"template_id\":\"v\",\"spec\":" + SPEC + "}", developer),
                403, "forbidden", "insufficient permissions");
    }

    private HttpResponse<String> post(String body) throws Exception {
        return server.json("POST", "/api/v1/templates", body);
    }

    private static String spec(String mainContainer) {
        return "{\"template_id\":\"x\",\"spec\":{\"mainContainer\":{" + mainContainer + "}}}";
    }
}
