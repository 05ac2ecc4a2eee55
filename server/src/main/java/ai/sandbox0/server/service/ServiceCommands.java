package ai.sandbox0.server.service;

import ai.sandbox0.api.Envelope;
import ai.sandbox0.api.Json;
import ai.sandbox0.api.context.ContextListResponse;
import ai.sandbox0.api.context.ContextResponse;
import ai.sandbox0.api.context.CreateCMDContextRequest;
import ai.sandbox0.api.context.CreateContextRequest;
import ai.sandbox0.api.context.ProcessType;
import ai.sandbox0.api.service.SandboxAppService;
import ai.sandbox0.api.service.SandboxAppServiceHealth;
import ai.sandbox0.api.service.SandboxAppServiceRuntime;
import ai.sandbox0.server.procd.ProcdClient;
import ai.sandbox0.server.procd.ProcdEndpoint;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the command of a {@code cmd} service running while requests come for it (spec §7.5): a request finds
 * its cmd context in the sandbox's procd or starts one, then waits until the port answers. A paused sandbox
 * loses its processes, so the first request after a resume starts the command again.
 *
 * <p>One request per sandbox and service does that work at a time; the others wait for it and then find the
 * service known to be ready in this run. "Known ready" lasts a few seconds, and ends at once when the port fails
 * a request, so a command that dies is restarted soon, while a busy service costs no procd round trip per request.
 */
final class ServiceCommands implements AutoCloseable {

    static final String SERVICE_ID_ENV = "SANDBOX0_SERVICE_ID";
    static final String SERVICE_PORT_ENV = "SANDBOX0_SERVICE_PORT";
    static final String SERVICE_RUNTIME_ENV = "SANDBOX0_SERVICE_RUNTIME";
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** Readiness checks start this soon after the command and back off to {@link #POLL_EVERY}. */
    private static final Duration FIRST_POLL = Duration.ofMillis(20);
    private static final Duration POLL_EVERY = Duration.ofMillis(200);
    private static final Duration KNOWN_READY_FOR = Duration.ofSeconds(3);
    /** One probe never waits longer than this, whatever is left of the budget. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration MIN_PROCD_CALL = Duration.ofSeconds(1);
    private static final int PRUNE_ABOVE = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(ServiceCommands.class);
    private static final TypeReference<Envelope<ContextListResponse>> CONTEXT_LIST = new TypeReference<>() {
    };

    private final ProcdClient procd;
    private final HttpClient probes = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(PROBE_TIMEOUT)
            .executor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("service-probe-", 0).factory()))
            .build();
    private final ConcurrentHashMap<Key, Flight> flights = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Key, Ready> ready = new ConcurrentHashMap<>();

    ServiceCommands(ProcdClient procd) {
        this.procd = Objects.requireNonNull(procd, "procd");
    }

    /** A service of a sandbox. */
    private record Key(String sandboxId, String serviceId) {
    }

    /** What a cmd context is started from: when it changes, the one running is no longer this service's. */
    private record Spec(SandboxAppServiceRuntime runtime, Integer port, SandboxAppServiceHealth health) {

        static Spec of(SandboxAppService service) {
            return new Spec(service.runtime(), service.port(), service.healthCheck());
        }
    }

    /** The service answered in the run behind {@code run} (a new run has a new endpoint: its own token). */
    private record Ready(ProcdEndpoint run, Spec spec, long untilNanos) {

        boolean covers(ProcdEndpoint run, Spec spec, long now) {
            return this.run.equals(run) && this.spec.equals(spec) && untilNanos - now > 0;
        }
    }

    /** The requests working on one service; the first to hold the lock does the work. */
    private static final class Flight {
        final ReentrantLock lock = new ReentrantLock();
        int users; // changed only inside the map's compute, which serialises it
    }

    /**
     * Whether the service's command is running and answering on its port within {@code timeout}, started in the
     * sandbox if no running cmd context is this service's. False when procd refuses to start it or it never
     * answers in time.
     */
    boolean ensure(String sandboxId, ProcdEndpoint run, SandboxAppService service, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        var key = new Key(sandboxId, service.id());
        var spec = Spec.of(service);
        if (isKnownReady(key, run, spec)) {
            return true;
        }
        Flight flight = flights.compute(key, (k, f) -> {
            Flight joined = f == null ? new Flight() : f;
            joined.users++;
            return joined;
        });
        try {
            if (!flight.lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return false;
            }
            try {
                if (isKnownReady(key, run, spec)) {
                    return true; // the request before this one started it
                }
                if (!start(sandboxId, run, service, deadline)) {
                    return false;
                }
                remember(key, new Ready(run, spec, System.nanoTime() + KNOWN_READY_FOR.toNanos()));
                return true;
            } finally {
                flight.lock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            flights.computeIfPresent(key, (k, f) -> --f.users == 0 ? null : f);
        }
    }

    /** Stops trusting that the service is ready (its port failed a request). */
    void forget(String sandboxId, String serviceId) {
        ready.remove(new Key(sandboxId, serviceId));
    }

    private boolean isKnownReady(Key key, ProcdEndpoint run, Spec spec) {
        Ready known = ready.get(key);
        return known != null && known.covers(run, spec, System.nanoTime());
    }

    private void remember(Key key, Ready entry) {
        ready.put(key, entry);
        if (ready.size() > PRUNE_ABOVE) {
            long now = System.nanoTime();
            ready.values().removeIf(r -> r.untilNanos() - now <= 0);
        }
    }

    private boolean start(String sandboxId, ProcdEndpoint run, SandboxAppService service, long deadline)
            throws InterruptedException {
        try {
            if (listContexts(run, procdBudget(deadline)).stream().noneMatch(c -> isServiceContext(c, service))) {
                // Not the command itself: an argv may carry a secret.
                LOG.info("starting service {} of sandbox {} (port {})", service.id(), sandboxId, service.port());
                createContext(run, service, procdBudget(deadline));
            }
        } catch (RuntimeException | IOException e) {
            LOG.warn("service {} of sandbox {} could not be started: {}", service.id(), sandboxId, e.getMessage());
            return false;
        }
        String host = run.base().getHost();
        // A request is waiting: a server up in 60 ms should not cost it 200.
        long pause = FIRST_POLL.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (answers(host, service, Duration.ofNanos(Math.max(left, 1)))) {
                return true;
            }
            left = deadline - System.nanoTime();
            if (left <= 0) {
                LOG.info("service {} of sandbox {} did not answer on port {} in time", service.id(), sandboxId,
                        service.port());
                return false;
            }
            Thread.sleep(Duration.ofNanos(Math.min(left, pause)));
            pause = Math.min(pause * 2, POLL_EVERY.toNanos());
        }
    }

    /** What is left of the request's budget for one procd call, never so little that a healthy procd misses it. */
    private static Duration procdBudget(long deadline) {
        return Duration.ofNanos(Math.max(deadline - System.nanoTime(), MIN_PROCD_CALL.toNanos()));
    }

    private List<ContextResponse> listContexts(ProcdEndpoint run, Duration timeout) throws IOException {
        HttpResponse<InputStream> answer = procd.call(run, "GET", "/api/v1/contexts", Map.of(), null, 0, timeout);
        try (InputStream body = answer.body()) {
            if (answer.statusCode() != 200) {
                throw new IOException("listing contexts answered " + answer.statusCode());
            }
            Envelope<ContextListResponse> list = Json.mapper().readValue(body, CONTEXT_LIST);
            return list.data() == null || list.data().contexts() == null ? List.of() : list.data().contexts();
        }
    }

    private void createContext(ProcdEndpoint run, SandboxAppService service, Duration timeout) throws IOException {
        SandboxAppServiceRuntime runtime = service.runtime();
        byte[] body = Json.write(new CreateContextRequest(ProcessType.CMD, null,
                new CreateCMDContextRequest(runtime.command()), false, blankToNull(runtime.cwd()), env(service),
                null, null, null));
        HttpResponse<InputStream> answer = procd.call(run, "POST", "/api/v1/contexts",
                Map.of("Content-Type", "application/json"), new ByteArrayInputStream(body), body.length, timeout);
        try (InputStream in = answer.body()) {
            byte[] reply = in.readAllBytes();
            if (answer.statusCode() != 201 && answer.statusCode() != 200) {
                throw new IOException("creating its context answered " + answer.statusCode() + ": "
                        + new String(reply, StandardCharsets.UTF_8));
            }
        }
    }

    /** The runtime's env_vars, then what tells the command which service it is. */
    static Map<String, String> env(SandboxAppService service) {
        var env = new LinkedHashMap<String, String>();
        if (service.runtime().envVars() != null) {
            env.putAll(service.runtime().envVars());
        }
        env.put(SERVICE_ID_ENV, service.id());
        env.put(SERVICE_PORT_ENV, Integer.toString(service.port()));
        env.put(SERVICE_RUNTIME_ENV, "cmd");
        return env;
    }

    /**
     * A running cmd context with the service's command, cwd and service id. procd reports the cwd it resolved
     * against the workspace, so a relative cwd matches by its tail and an absent one matches any.
     */
    static boolean isServiceContext(ContextResponse context, SandboxAppService service) {
        SandboxAppServiceRuntime runtime = service.runtime();
        if (context.type() != ProcessType.CMD || !context.running() || context.paused()) {
            return false;
        }
        if (context.envVars() == null || !service.id().equals(context.envVars().get(SERVICE_ID_ENV))) {
            return false;
        }
        if (!Objects.equals(context.command(), runtime.command())) {
            return false;
        }
        String wanted = blankToNull(runtime.cwd());
        if (wanted == null) {
            return true;
        }
        if (context.cwd() == null) {
            return false;
        }
        Path actual = Path.of(context.cwd()).normalize();
        Path expected = Path.of(wanted).normalize();
        return expected.isAbsolute() ? actual.equals(expected) : actual.endsWith(expected);
    }

    /** The health check path answering 2xx or 3xx, or without one, the port taking a connection. */
    private boolean answers(String host, SandboxAppService service, Duration left) {
        Duration wait = left.compareTo(PROBE_TIMEOUT) < 0 ? left : PROBE_TIMEOUT;
        SandboxAppServiceHealth health = service.healthCheck();
        if (health != null && health.path() != null && !health.path().isBlank()) {
            return httpReady(host, service.port(), health.path().trim(), wait);
        }
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, service.port()), (int) Math.max(1, wait.toMillis()));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean httpReady(String host, int port, String path, Duration wait) {
        URI uri;
        try {
            uri = URI.create("http://" + host + ":" + port + (path.startsWith("/") ? path : "/" + path));
        } catch (IllegalArgumentException e) {
            LOG.debug("health check path {} is not a URI path: {}", path, e.getMessage());
            return false;
        }
        try {
            HttpResponse<InputStream> answer = probes.send(HttpRequest.newBuilder(uri).timeout(
                    wait.isZero() ? Duration.ofMillis(1) : wait).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            answer.body().close(); // only the status counts; a streaming health page must not hold the probe
            return answer.statusCode() >= 200 && answer.statusCode() < 400;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    @Override
    public void close() {
        probes.close();
    }
}
