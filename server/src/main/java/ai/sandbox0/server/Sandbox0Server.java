package ai.sandbox0.server;

import ai.sandbox0.api.health.GatewayMetadata;
import ai.sandbox0.api.health.GatewayMode;
import ai.sandbox0.server.health.HealthEndpoints;
import ai.sandbox0.server.http.ApiHandler;
import ai.sandbox0.server.http.HttpApi;
import ai.sandbox0.server.http.HttpMetrics;
import ai.sandbox0.server.http.Router;
import ai.sandbox0.server.store.Database;
import ai.sandbox0.server.tenancy.ApiKeyAuthenticator;
import ai.sandbox0.server.tenancy.ApiKeyEndpoints;
import ai.sandbox0.server.tenancy.ApiKeyStore;
import ai.sandbox0.server.tenancy.InitialAdmin;
import ai.sandbox0.server.template.NoWarmPools;
import ai.sandbox0.server.template.TemplateCatalog;
import ai.sandbox0.server.template.TemplateEndpoints;
import ai.sandbox0.server.template.TemplateRules;
import ai.sandbox0.server.template.TemplateStore;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root of {@code s0 server}: every component is built and wired here, in start-up
 * order, and closed in reverse. Nothing else creates long-lived components.
 */
public final class Sandbox0Server implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Sandbox0Server.class);
    /** Upstream's default: every CPU of a template comes with 4Gi of memory. */
    private static final long MEMORY_PER_CPU = 4L << 30;

    private final ServerConfig config;
    private final List<AutoCloseable> closeInReverse = new ArrayList<>();
    private final AtomicBoolean ready = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private Optional<String> createdAdminKey = Optional.empty();
    private Database database;
    private HttpApi http;

    private Sandbox0Server(ServerConfig config) {
        this.config = config;
    }

    /** Starts a server; on failure everything already started is closed again before the error propagates. */
    public static Sandbox0Server start(ServerConfig config) {
        var server = new Sandbox0Server(config);
        try {
            server.doStart();
            return server;
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
    }

    private void doStart() {
        Clock clock = Clock.systemUTC();
        var dataDir = new DataDir(config.dataDir()).lock();
        closeInReverse.add(dataDir);

        database = Database.openSqlite(dataDir.store());
        closeInReverse.add(database);

        var apiKeys = new ApiKeyStore(database.jdbi());
        createdAdminKey = new InitialAdmin(database.jdbi(), apiKeys, clock, new SecureRandom())
                .ensure(config.region(), dataDir.adminApiKey());

        var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        List.of(new JvmMemoryMetrics(), new JvmThreadMetrics(), new ProcessorMetrics(), new UptimeMetrics())
                .forEach(binder -> binder.bindTo(registry));
        var gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);
        closeInReverse.add(gcMetrics);
        closeInReverse.add(registry::close);

        var templates = new TemplateCatalog(new TemplateStore(database.jdbi()), new TemplateRules(MEMORY_PER_CPU),
                new NoWarmPools(), clock);
        templates.seedBuiltins();

        var info = new GatewayMetadata(GatewayMode.DIRECT, "sandbox0", config.region(), Version.current(),
                List.of("api_keys", "templates"));
        var router = new Router()
                .addAll(new HealthEndpoints(clock, this::isReady, info, registry).routes())
                .addAll(new ApiKeyEndpoints(apiKeys).routes())
                .addAll(new TemplateEndpoints(templates).routes());

        var handler = new ApiHandler(router, new ApiKeyAuthenticator(apiKeys, clock), new HttpMetrics(registry),
                config.maxJsonBodyBytes());
        http = new HttpApi(config.listen(), handler, config.maxConcurrentRequests(), config.stopGraceMillis());
        http.start();
        closeInReverse.add(http);
        ready.set(true);
        LOG.info("listening on {} (data dir {}, region {})", baseUri(), dataDir.root(), config.region());
    }

    private boolean isReady() {
        return ready.get() && database.ping();
    }

    /** The admin API key, when this start created the data dir's admin. */
    public Optional<String> createdAdminKey() {
        return createdAdminKey;
    }

    public URI baseUri() {
        String host = config.listen().getHostString();
        if (host.equals("0.0.0.0") || host.equals("::")) {
            host = "127.0.0.1";
        } else if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + http.port());
    }

    public ServerConfig config() {
        return config;
    }

    /** Stops taking new work, lets in-flight requests finish within the grace period, then releases everything. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        ready.set(false);
        for (int i = closeInReverse.size() - 1; i >= 0; i--) {
            try {
                closeInReverse.get(i).close();
            } catch (Exception e) {
                LOG.warn("error while stopping: {}", e.getMessage());
            }
        }
        LOG.info("stopped");
    }
}
