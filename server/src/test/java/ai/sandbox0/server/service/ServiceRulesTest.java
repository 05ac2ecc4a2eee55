package ai.sandbox0.server.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.service.SandboxAppService;
import com.fasterxml.jackson.core.type.TypeReference;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Services as upstream normalizes and validates them (spec §7.1). */
class ServiceRulesTest {

    private static List<SandboxAppService> parse(String json) throws Exception {
        return Json.mapper().readValue(json, new TypeReference<List<SandboxAppService>>() { });
    }

    private static List<SandboxAppService> normalize(String json) throws Exception {
        return ServiceRules.normalize(parse(json));
    }

    @Test
    void defaultsAreFilledIn() throws Exception {
        SandboxAppService web = normalize("[{\"id\":\"Web\",\"port\":8080,\"ingress\":{\"public\":true}}]").getFirst();
        assertThat(web.id()).isEqualTo("web");
        assertThat(web.runtime()).as("an omitted runtime stays omitted (a manual service)").isNull();
        assertThat(web.ingress().routes()).hasSize(1);
        assertThat(web.ingress().routes().getFirst().id()).isEqualTo("web");
        assertThat(web.ingress().routes().getFirst().pathPrefix()).isEqualTo("/");
        assertThat(web.ingress().routes().getFirst().resume()).isFalse();

        SandboxAppService api = normalize("""
                [{"id":"api","port":3000,"ingress":{"public":true,"routes":[{"id":"r","path_prefix":"v1",
                  "methods":["get","post","get"],"rewrite_prefix":"","resume":false,
                  "auth":{"mode":"header","header_name":"x-api-key","header_value_sha256":"%s"}}]}}]
                """.formatted("AB".repeat(32))).getFirst();
        var route = api.ingress().routes().getFirst();
        assertThat(route.pathPrefix()).isEqualTo("/v1");
        assertThat(route.methods()).containsExactly("GET", "POST");
        assertThat(route.rewritePrefix()).isEqualTo("/");
        assertThat(route.auth().headerName()).isEqualTo("X-Api-Key");
        assertThat(route.auth().headerValueSha256()).isEqualTo("ab".repeat(32));

        SandboxAppService function = normalize("""
                [{"id":"fn","runtime":{"type":"function","command":["x"],"function":{"runtime":"python",
                  "source":{"type":"inline","code":"def handler(r): return None"}}},"ingress":{"public":false}}]
                """).getFirst();
        assertThat(function.port()).isEqualTo(ServiceRules.AGENT_PORT);
        assertThat(function.runtime().command()).isNull();
    }

    @Test
    void invalidServicesNameTheServiceAndField() {
        assertThatThrownBy(() -> normalize("[{\"id\":\"Not A Label\",\"port\":1,\"ingress\":{\"public\":true}}]"))
                .hasMessage("services[0]: id must be a DNS label");
        assertThatThrownBy(() -> normalize("[{\"id\":\"a\",\"port\":1,\"ingress\":{\"public\":true}},"
                + "{\"id\":\"A\",\"port\":2,\"ingress\":{\"public\":true}}]"))
                .hasMessage("services[1]: id a is used twice");
        assertThatThrownBy(() -> normalize("[{\"id\":\"a\",\"ingress\":{\"public\":true}}]"))
                .hasMessage("services[0]: port is required for manual services");
        assertThatThrownBy(() -> normalize("[{\"id\":\"a\",\"port\":49983,\"ingress\":{\"public\":true}}]"))
                .hasMessageContaining("reserved for the sandbox agent");
        assertThatThrownBy(() -> normalize("[{\"id\":\"a\",\"port\":80,\"runtime\":{\"type\":\"cmd\"},\"ingress\":{\"public\":true}}]"))
                .hasMessage("services[0]: runtime.command is required for cmd services");
        assertThatThrownBy(() -> normalize("[{\"id\":\"a\",\"port\":80}]")).hasMessage("services[0]: ingress.public is required");
        assertThatThrownBy(() -> normalize("[{\"id\":\"a\",\"port\":80,\"ingress\":{\"public\":true,\"routes\":[{\"id\":\"r\"}]}}]"))
                .hasMessage("services[0].ingress.routes[0]: resume is required");
        assertThatThrownBy(() -> normalize("[{\"id\":\"a\",\"port\":80,\"ingress\":{\"public\":true,\"routes\":[{\"id\":\"r\","
                + "\"resume\":false,\"auth\":{\"mode\":\"bearer\",\"bearer_token_sha256\":\"short\"}}]}}]"))
                .hasMessage("services[0].ingress.routes[0]: auth.bearer_token_sha256 must be 64 hex digits");
        assertThatThrownBy(() -> normalize("[{\"id\":\"a\",\"port\":80,\"ingress\":{\"public\":true,\"routes\":[{\"id\":\"r\","
                + "\"resume\":false,\"rate_limit\":{\"rps\":0,\"burst\":1}}]}}]"))
                .hasMessage("services[0].ingress.routes[0]: rate_limit.rps must be > 0");
        // Resume on request needs a runtime the router can start again: not a manual server, not an omitted one.
        for (String runtime : new String[] {"", ",\"runtime\":{\"type\":\"manual\"}"}) {
            assertThatThrownBy(() -> normalize("[{\"id\":\"a\",\"port\":80" + runtime + ",\"ingress\":{\"public\":true,"
                    + "\"routes\":[{\"id\":\"r\",\"resume\":true}]}}]"))
                    .hasMessage("services[0].ingress.routes[0]: resume requires runtime.type cmd or function");
        }
        assertThatThrownBy(() -> normalize("[{\"id\":\"a\",\"port\":80,\"runtime\":{\"command\":[\"x\"]},"
                + "\"ingress\":{\"public\":true}}]")).hasMessage("services[0]: runtime.type is required");
    }
}
