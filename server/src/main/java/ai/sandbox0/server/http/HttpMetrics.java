package ai.sandbox0.server.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Request counts and latencies by method, route template and status. Routes are templates, never raw
 * paths, so sandbox ids do not explode the series count.
 */
public final class HttpMetrics {

    private final MeterRegistry registry;
    private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

    public HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void record(String method, String route, int status, long nanos) {
        String key = method + ' ' + route + ' ' + status;
        timers.computeIfAbsent(key, k -> Timer.builder("http.server.requests")
                        .description("API requests handled, by route template and status")
                        .tag("method", method)
                        .tag("route", route)
                        .tag("status", Integer.toString(status))
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofSeconds(60))
                        .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }
}
