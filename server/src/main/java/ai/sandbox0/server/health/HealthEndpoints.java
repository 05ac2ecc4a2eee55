package ai.sandbox0.server.health;

import ai.sandbox0.api.health.GatewayMetadata;
import ai.sandbox0.api.health.HealthStatus;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Unauthenticated probes: liveness, readiness, gateway metadata and Prometheus metrics. */
public final class HealthEndpoints {

    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Clock clock;
    private final BooleanSupplier ready;
    private final GatewayMetadata info;
    private final PrometheusMeterRegistry registry;

    public HealthEndpoints(Clock clock, BooleanSupplier ready, GatewayMetadata info, PrometheusMeterRegistry registry) {
        this.clock = clock;
        this.ready = ready;
        this.info = info;
        this.registry = registry;
    }

    public List<Route> routes() {
        return List.of(
                Route.open("GET", "/healthz", this::healthz),
                Route.open("GET", "/readyz", this::readyz),
                Route.open("GET", "/metadata", call -> Reply.ok(info)),
                Route.open("GET", "/metrics", this::metrics));
    }

    private Reply healthz(Call call) {
        return Reply.ok(new HealthStatus("healthy", clock.instant().getEpochSecond()));
    }

    private Reply readyz(Call call) {
        if (!ready.getAsBoolean()) {
            throw ApiException.unavailable("server is not ready");
        }
        return Reply.ok(new HealthStatus("ready", clock.instant().getEpochSecond()));
    }

    private Reply metrics(Call call) {
        return new Reply.Raw(200, PROMETHEUS_TEXT, registry.scrape().getBytes(StandardCharsets.UTF_8));
    }

}
