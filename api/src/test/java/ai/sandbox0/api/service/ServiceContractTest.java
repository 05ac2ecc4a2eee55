package ai.sandbox0.api.service;

import static ai.sandbox0.api.WireAssertions.example;
import static ai.sandbox0.api.WireAssertions.roundTrip;
import static ai.sandbox0.api.WireAssertions.written;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceContractTest {

    @Test
    void putBodyRoundTrips() {
        SandboxServicesUpdateRequest body = roundTrip(example("services-update.json"), SandboxServicesUpdateRequest.class);

        SandboxAppService hook = body.services().getFirst();
        assertThat(hook.port()).isNull();
        assertThat(hook.runtime().function().runtime()).isEqualTo(FunctionRuntime.PYTHON);
        assertThat(hook.runtime().function().source().type()).isEqualTo(FunctionSourceType.INLINE);
        assertThat(hook.ingress().isPublic()).isTrue();
        assertThat(hook.ingress().routes().getFirst().auth().mode()).isEqualTo(RouteAuthMode.HEADER);
        assertThat(body.services().get(1).ingress().routes()).isNull();
    }

    @Test
    void clearingIsAnEmptyListNotAnAbsentOne() {
        assertThat(roundTrip("{\"services\":[]}", SandboxServicesUpdateRequest.class).services()).isEmpty();
        assertThat(roundTrip("{}", SandboxServicesUpdateRequest.class).services()).isNull();
    }

    @Test
    void responseCarriesViewsWithPublishState() {
        SandboxServicesResponse response = roundTrip(example("services-response.json"), SandboxServicesResponse.class);

        assertThat(response.exposureDomain()).isEqualTo("eu-west-1.sandbox0.app");
        assertThat(response.services().getFirst().publishable()).isTrue();
        assertThat(response.services().get(1).publishBlockers()).containsExactly("not_public", "manual_runtime");
    }

    @Test
    void servicesAreSnakeCaseAllTheWayDown() {
        SandboxAppServiceRoute route = new SandboxAppServiceRoute("api", "/api", List.of("GET"), "/",
                new SandboxAppServiceRouteAuth(RouteAuthMode.BEARER, "ab", null, null),
                new SandboxAppServiceRouteCors(List.of("*"), null, null, List.of("X-Id"), true, 60),
                new SandboxAppServiceRouteRateLimit(1, 2), 5, true);
        SandboxAppService service = new SandboxAppService("web", "Web", 8080,
                new SandboxAppServiceRuntime(ServiceRuntimeType.CMD, List.of("serve"), "/w", null, null),
                new SandboxAppServiceIngress(true, List.of(route)), new SandboxAppServiceHealth("/healthz"));

        JsonNode json = written(service);
        JsonNode writtenRoute = json.path("ingress").path("routes").get(0);

        assertThat(json.has("display_name")).isTrue();
        assertThat(json.has("health_check")).isTrue();
        assertThat(json.path("ingress").path("public").asBoolean()).isTrue();
        assertThat(writtenRoute.has("path_prefix")).isTrue();
        assertThat(writtenRoute.has("rewrite_prefix")).isTrue();
        assertThat(writtenRoute.has("rate_limit")).isTrue();
        assertThat(writtenRoute.has("timeout_seconds")).isTrue();
        assertThat(writtenRoute.path("auth").has("bearer_token_sha256")).isTrue();
        assertThat(writtenRoute.path("cors").has("allow_credentials")).isTrue();
        assertThat(writtenRoute.path("cors").has("max_age_seconds")).isTrue();
    }

    @Test
    void viewConvertsToAndFromTheService() {
        SandboxAppService service = new SandboxAppService("app", null, 3000,
                new SandboxAppServiceRuntime(ServiceRuntimeType.MANUAL, null, null, null, null),
                new SandboxAppServiceIngress(false, null), null);

        SandboxAppServiceView view = SandboxAppServiceView.of(service, false, List.of("not_public"), null);

        assertThat(view.service()).isEqualTo(service);
        assertThat(written(view).path("publish_blockers").get(0).asText()).isEqualTo("not_public");
    }
}
