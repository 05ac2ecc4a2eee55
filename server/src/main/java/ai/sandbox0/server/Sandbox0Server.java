package ai.sandbox0.server;

import ai.sandbox0.api.health.GatewayMetadata;
import ai.sandbox0.api.health.GatewayMode;
import ai.sandbox0.node.Node;
import ai.sandbox0.node.NodeConfig;
import ai.sandbox0.node.StartGate;
import ai.sandbox0.node.blob.BlobCipher;
import ai.sandbox0.node.blob.BlobStore;
import ai.sandbox0.node.blob.LocalBlobStore;
import ai.sandbox0.node.ProcdRuntime;
import ai.sandbox0.node.volume.VolumePool;
import ai.sandbox0.server.blob.S3BlobStore;
import ai.sandbox0.server.credential.CredentialBindings;
import ai.sandbox0.server.credential.CredentialCipher;
import ai.sandbox0.server.credential.CredentialSourceEndpoints;
import ai.sandbox0.server.credential.CredentialSourceStore;
import ai.sandbox0.server.egress.EgressAuditEndpoints;
import ai.sandbox0.server.egress.ServerEgress;
import ai.sandbox0.server.network.EgressCredentialResolver;
import ai.sandbox0.server.health.HealthEndpoints;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.ApiHandler;
import ai.sandbox0.server.http.HttpApi;
import ai.sandbox0.server.service.ExposureAddress;
import ai.sandbox0.server.service.ExposureListener;
import ai.sandbox0.server.service.ExposureRouter;
import ai.sandbox0.server.service.RateLimiter;
import ai.sandbox0.server.service.ServiceEndpoints;
import ai.sandbox0.server.http.HttpMetrics;
import ai.sandbox0.server.http.Route;
import ai.sandbox0.server.http.Router;
import ai.sandbox0.server.procd.ProcdClient;
import ai.sandbox0.server.sandbox.LayerCollector;
import ai.sandbox0.server.sandbox.LocalSandboxHost;
import ai.sandbox0.server.sandbox.NodeWarmPools;
import ai.sandbox0.server.sandbox.ProcessAndFileEndpoints;
import ai.sandbox0.server.sandbox.QuotaGate;
import ai.sandbox0.server.sandbox.RootfsOperations;
import ai.sandbox0.server.sandbox.SandboxEndpoints;
import ai.sandbox0.server.sandbox.SandboxIds;
import ai.sandbox0.server.sandbox.SandboxLocks;
import ai.sandbox0.server.sandbox.SandboxLogs;
import ai.sandbox0.server.sandbox.SandboxManager;
import ai.sandbox0.server.sandbox.SandboxStore;
import ai.sandbox0.server.sandbox.SandboxVolumes;
import ai.sandbox0.server.sandbox.SnapshotStore;
import ai.sandbox0.server.store.Database;
import ai.sandbox0.server.volume.VolumeEndpoints;
import ai.sandbox0.server.volume.VolumeFileEndpoints;
import ai.sandbox0.server.volume.VolumeFileOperations;
import ai.sandbox0.server.volume.VolumeMounts;
import ai.sandbox0.server.volume.VolumeWatchEndpoint;
import ai.sandbox0.node.volume.VolumeWatcher;
import ai.sandbox0.server.volume.seal.SealedVolumes;
import ai.sandbox0.server.volume.seal.VolumeHeads;
import ai.sandbox0.server.volume.seal.VolumeMaterializer;
import ai.sandbox0.server.volume.seal.VolumeObjectCollector;
import ai.sandbox0.server.volume.seal.VolumeObjects;
import ai.sandbox0.server.volume.seal.VolumeSealer;
import ai.sandbox0.server.volume.seal.VolumeSealing;
import ai.sandbox0.server.volume.VolumeService;
import ai.sandbox0.server.volume.VolumeSnapshotStore;
import ai.sandbox0.server.volume.VolumeStore;
import ai.sandbox0.api.tenancy.QuotaDimension;
import ai.sandbox0.node.volume.VolumePool;
import ai.sandbox0.server.template.NoWarmPools;
import ai.sandbox0.server.template.TemplateCatalog;
import ai.sandbox0.server.template.TemplateEndpoints;
import ai.sandbox0.server.template.TemplatePools;
import ai.sandbox0.server.template.TemplateRules;
import ai.sandbox0.server.template.TemplateStore;
import ai.sandbox0.server.auth.BearerAuthenticator;
import ai.sandbox0.server.identity.AuthEndpoints;
import ai.sandbox0.server.identity.LoginThrottle;
import ai.sandbox0.server.identity.Logins;
import ai.sandbox0.server.identity.PasswordHasher;
import ai.sandbox0.server.identity.Registrations;
import ai.sandbox0.server.identity.SessionAuthenticator;
import ai.sandbox0.server.identity.SessionStore;
import ai.sandbox0.server.identity.SessionTokens;
import ai.sandbox0.server.identity.SigningKey;
import ai.sandbox0.server.identity.TeamStore;
import ai.sandbox0.server.identity.UserEndpoints;
import ai.sandbox0.server.identity.UserStore;
import ai.sandbox0.server.identity.oidc.DeviceLoginStore;
import ai.sandbox0.server.identity.oidc.IdentityEndpoints;
import ai.sandbox0.server.identity.oidc.IdentityStore;
import ai.sandbox0.server.identity.oidc.OidcAccounts;
import ai.sandbox0.server.identity.oidc.OidcEndpoints;
import ai.sandbox0.server.identity.oidc.OidcProviders;
import ai.sandbox0.server.identity.oidc.WebLoginCodes;
import ai.sandbox0.server.tenancy.ApiKeyAuthenticator;
import ai.sandbox0.server.tenancy.TeamEndpoints;
import ai.sandbox0.server.tenancy.TeamInventory;
import ai.sandbox0.server.tenancy.Teams;
import ai.sandbox0.server.tenancy.ApiKeyEndpoints;
import ai.sandbox0.server.tenancy.ApiKeyUsage;
import ai.sandbox0.server.tenancy.QuotaEndpoints;
import ai.sandbox0.server.tenancy.QuotaStore;
import ai.sandbox0.server.tenancy.RegionEndpoints;
import ai.sandbox0.server.tenancy.SshKeyEndpoints;
import ai.sandbox0.server.tenancy.SshKeyStore;
import ai.sandbox0.server.tenancy.ApiKeyStore;
import ai.sandbox0.server.tenancy.InitialAdmin;
import ai.sandbox0.server.volume.VolumeStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToIntFunction;
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
    /** The sparse size of the node's volume pool: a bound, not an allocation. */

    private final ServerConfig config;
    private final List<AutoCloseable> closeInReverse = new ArrayList<>();
    private final AtomicBoolean ready = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Upstream's default lifetimes: a short access token, a week of refreshes. */
    private static final Duration ACCESS_TOKEN_TTL = Duration.ofMinutes(15);
    private static final Duration REFRESH_TOKEN_TTL = Duration.ofDays(7);
    private InitialAdmin.Created created = new InitialAdmin.Created(Optional.empty(), Optional.empty());
    private Database database;
    private HttpApi http;
    private int exposurePort = -1;
    private Router router;
    private Node node;
    private VolumePool volumePool;
    private BlobCipher blobCipher;
    private VolumeWatcher volumeWatcher;
    private String volumePoolProblem;

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

    /** sqlite-jdbc's extraction directory for its native library (see {@link DataDir#nativeLibraries}). */
    private static final String SQLITE_TMPDIR = "org.sqlite.tmpdir";

    private void doStart() {
        Clock clock = Clock.systemUTC();
        var dataDir = new DataDir(config.dataDir()).lock();
        closeInReverse.add(dataDir);

        if (config.databaseUrl() == null) {
            // The library is loaded once per JVM: an operator's choice or an earlier server's stands. Only a
            // server that loads it points it here (a PostgreSQL server's data dir may be gone by then).
            if (System.getProperty(SQLITE_TMPDIR) == null) {
                System.setProperty(SQLITE_TMPDIR, dataDir.nativeLibraries().toString());
            }
            database = Database.openSqlite(dataDir.sqliteStore());
        } else {
            database = Database.openPostgres(config.databaseUrl());
        }
        closeInReverse.add(database);
        // One server drives a store: a second one would take the first one's sandboxes for lost runs.
        database.holdExclusively();
        LOG.info("store: {}", config.storeDescription());

        var random = new SecureRandom();
        var apiKeys = new ApiKeyStore(database.jdbi());
        var quotaStore = new QuotaStore(database.jdbi());
        var users = new UserStore(database.jdbi());
        var teams = new TeamStore(database.jdbi());
        var passwords = PasswordHasher.owaspDefaults(random);
        ServerConfig.Identity identity = config.identity();
        created = new InitialAdmin(database.jdbi(), apiKeys, users, teams, passwords, clock, random)
                .ensure(config.region(), identity.adminEmail(), identity.adminPassword(), dataDir.adminApiKey(),
                        dataDir.adminPassword());
        var sessionStore = new SessionStore(database.jdbi());
        var tokens = new SessionTokens(SigningKey.loadOrCreate(database.jdbi(), random), "sandbox0/" + config.region(),
                ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL, clock, random);
        var sessions = new SessionAuthenticator(tokens, sessionStore, teams, clock);
        var logins = new Logins(users, sessionStore, tokens, sessions, clock, random);
        var registrations = new Registrations(identity.registration(), config.region(), users, teams, clock);

        var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        List.of(new JvmMemoryMetrics(), new JvmThreadMetrics(), new ProcessorMetrics(), new UptimeMetrics())
                .forEach(binder -> binder.bindTo(registry));
        var gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);
        closeInReverse.add(gcMetrics);
        closeInReverse.add(registry::close);

        var procdClient = new ProcdClient();
        closeInReverse.add(procdClient);
        var sandboxStore = new SandboxStore(database.jdbi());
        var snapshotStore = new SnapshotStore(database.jdbi());
        var volumeStore = new VolumeStore(database.jdbi());
        // One for the server: it serialises the check that an RWO volume has one writer.
        var volumeMounts = new VolumeMounts(database.jdbi());
        // Before the node, so closed after it: the proxy's last records and bytes are still kept.
        var egress = ServerEgress.start(database.jdbi(), quotaStore, dataDir.egressAudit(),
                id -> sandboxStore.find(id).isPresent(), registry, clock);
        closeInReverse.add(egress);
        var background = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("background-", 0).factory());
        closeInReverse.add(background::shutdown);

        // The node runtime needs root, runc and procd; without them the server still serves everything else.
        String unavailable = SandboxHostCheck.problem(config.sandboxes());
        LocalSandboxHost host = null;
        TemplatePools pools = new NoWarmPools();
        if (unavailable == null) {
            host = openHost(dataDir, sandboxStore, procdClient);
            StartGate starts = node.starts();
            Gauge.builder("sandbox.starts.running", starts, StartGate::running)
                    .description("sandboxes starting now (cold claims, resumes, warm-pool refills)").register(registry);
            Gauge.builder("sandbox.starts.waiting", starts, StartGate::waiting)
                    .description("claims and resumes waiting for a start slot").register(registry);
            FunctionCounter.builder("sandbox.starts.turned.away", starts, StartGate::turnedAway)
                    .description("claims and resumes answered 503 with Retry-After: the host was starting all it could")
                    .register(registry);
            // Closed before the node: work in flight (a pool's image being extracted into the data dir) is
            // interrupted and ends before the node does, or a server started next on the same data dir would find
            // it still writing. Background work survives being cut short as it survives kill -9.
            closeInReverse.add(() -> awaitQuiet(background, Duration.ofSeconds(60)));
            pools = new NodeWarmPools(host, sandboxStore, background);
        } else {
            LOG.warn("sandboxes are not available on this host: {}", unavailable);
        }

        VolumeService volumes = null;
        String volumesUnavailable = unavailable == null ? volumePoolProblem : "volumes need the sandbox runtime: " + unavailable;
        if (volumePool != null) {
            try {
                volumes = openVolumes(dataDir, volumePool, volumeStore, volumeMounts, quotaStore, clock);
            } catch (IOException | RuntimeException e) {
                volumesUnavailable = "the volume store cannot be settled: " + e.getMessage();
                LOG.warn("volumes are not available on this host: {}", volumesUnavailable);
            }
        }
        VolumeService volumeService = volumes;
        var quotaGate = new QuotaGate(quotaStore, sandboxStore);

        var templateStore = new TemplateStore(database.jdbi());
        var templates = new TemplateCatalog(templateStore, new TemplateRules(MEMORY_PER_CPU), pools, clock);
        templates.seedBuiltins();

        // Closed after the HTTP server (in reverse), so the last requests' uses are written too.
        var apiKeyUsage = new ApiKeyUsage(apiKeys, config.apiKeyUsageFlush()).start();
        closeInReverse.add(apiKeyUsage);
        var apiKeyAuthenticator = new ApiKeyAuthenticator(apiKeys, apiKeyUsage, clock);
        // OIDC providers are discovered in the background: one that is down only answers its routes with 503.
        var oidc = new OidcProviders(identity.oidcProviders(), this::publicUrl);
        oidc.discoverInBackground(background);
        var identityStore = new IdentityStore(database.jdbi());
        var deviceLogins = new DeviceLoginStore(database.jdbi());
        var webLoginCodes = new WebLoginCodes(database.jdbi(), clock, random);

        // Credential sources' secrets are sealed in the store under a key of their own in the data dir.
        CredentialCipher credentialCipher;
        try {
            credentialCipher = CredentialCipher.loadOrCreate(dataDir.credentialEncryptionKey());
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the credential encryption key: " + e.getMessage(), e);
        }
        var credentialSources = new CredentialSourceStore(database.jdbi(), credentialCipher);
        var credentialBindings = new CredentialBindings(database.jdbi(), credentialSources, clock);
        if (host != null) {
            // The proxy's audit, metering and quota, and what it injects into sandboxes' requests: their bindings,
            // rendered here. The proxy names a flow by its run; the store says whose run it is.
            var credentialResolver = new EgressCredentialResolver(credentialBindings, clock);
            host.egress().attach(egress.hooks().withCredentials((run, ref) -> {
                Optional<String> sandbox = egress.sandboxOfRun(run);
                return sandbox.isEmpty() ? Optional.empty() : credentialResolver.resolve(sandbox.get(), ref);
            }));
        }

        var features = new ArrayList<>(List.of("api_keys", "templates", "credential_sources"));
        router = new Router()
                .addAll(new AuthEndpoints(users, registrations, logins, passwords, LoginThrottle.defaults(clock),
                        oidc::listed, clock).routes())
                .addAll(new OidcEndpoints(oidc, new OidcAccounts(users, identityStore, registrations, clock), logins,
                        users, deviceLogins, webLoginCodes, identity.registration(), this::publicUrl, clock, random)
                        .routes())
                .addAll(new UserEndpoints(users, clock).routes())
                .addAll(new IdentityEndpoints(identityStore).routes())
                .addAll(new TeamEndpoints(new Teams(teams, users, apiKeys, new TeamInventory(database.jdbi())::of,
                        config.region(), clock)).routes())
                .addAll(new ApiKeyEndpoints(apiKeys, apiKeyAuthenticator, apiKeyUsage, config.region(), clock, random)
                        .routes())
                .addAll(new TemplateEndpoints(templates).routes())
                .addAll(new CredentialSourceEndpoints(credentialSources, clock).routes())
                .addAll(new QuotaEndpoints(quotaStore, clock, (team, dimension) -> {
                    if (dimension == QuotaDimension.VOLUME_STORAGE_GB && volumeService != null) {
                        volumeService.volumeLimitChanged(team);
                    }
                    egress.limitChanged(dimension);
                }, (team, dimension) -> quotaUsage(quotaGate, volumeService, egress, team, dimension)).routes())
                .addAll(new RegionEndpoints(config.region(), this::publicUrl).routes())
                .addAll(new SshKeyEndpoints(new SshKeyStore(database.jdbi()), clock).routes());
        if (host != null) {
            var locks = new SandboxLocks(Duration.ofMinutes(2));
            var ids = new SandboxIds();
            var manager = new SandboxManager(sandboxStore, templates, snapshotStore, host, locks, ids, clock,
                    config.sandboxes().defaultTtl(), background, quotaGate,
                    new SandboxVolumes(volumeStore, volumeMounts, clock, volume -> {
                        if (volumeService != null) {
                            volumeService.letGo(volume);
                        }
                    }), credentialBindings);
            manager.onRemoved(egress::forget);
            manager.onRunAssigned(egress::runAssigned);
            manager.recover();
            // At a graceful stop, deletes already answered finish their teardown before the background goes.
            closeInReverse.add(() -> manager.awaitDeletes(Duration.ofSeconds(20)));
            templateStore.all().forEach(pools::changed);
            var rootfs = new RootfsOperations(manager, sandboxStore, snapshotStore, locks, ids, clock);
            ExposureAddress exposure = startExposure(manager, procdClient);
            router.addAll(new SandboxEndpoints(manager, rootfs, new SandboxLogs(manager, host, host, clock, registry)).routes())
                    .addAll(new ServiceEndpoints(manager, exposure).routes())
                    .addAll(new EgressAuditEndpoints(manager, egress.auditLog()).routes())
                    .addAll(new ProcessAndFileEndpoints(manager, procdClient).routes());
            closeInReverse.add(startReaper(manager));
            closeInReverse.add(startCollector("layer-gc", new LayerCollector(sandboxStore, host, Duration.ofMinutes(30))::collect));
            features.addAll(List.of("sandboxes", "contexts", "files", "rootfs_snapshots"));
        } else {
            Route refuse = Route.authenticated("*", "/api/v1/sandboxes", call -> {
                throw ApiException.unavailable("sandboxes are not available on this host: " + unavailable);
            });
            router.addUnder("/api/v1/sandboxes", refuse).addUnder("/api/v1/sandbox-rootfs-snapshots", refuse);
        }
        if (volumes != null) {
            router.addAll(new VolumeEndpoints(volumes).routes())
                    .addAll(new VolumeFileEndpoints(new VolumeFileOperations(volumes)).routes())
                    .addAll(new VolumeWatchEndpoint(volumes::watched, volumeWatcher).routes());
            features.add("volumes");
        } else {
            String reason = volumesUnavailable;
            router.addUnder("/api/v1/sandboxvolumes", Route.authenticated("*", "/api/v1/sandboxvolumes", call -> {
                throw ApiException.unavailable("volumes are not available on this host: " + reason);
            }));
        }
        var info = new GatewayMetadata(GatewayMode.DIRECT, "sandbox0", config.region(), Version.current(), features);
        router.addAll(new HealthEndpoints(clock, this::isReady, info, registry).routes());

        closeInReverse.add(startPurge(clock, List.of(sessionStore::purgeEnded, deviceLogins::purgeEnded,
                webLoginCodes::purgeEnded)));
        var authenticator = new BearerAuthenticator(apiKeyAuthenticator, sessions);
        var handler = new ApiHandler(router, authenticator, new HttpMetrics(registry),
                config.maxJsonBodyBytes());
        http = new HttpApi(config.listen(), handler, config.maxConcurrentRequests(), config.stopGraceMillis());
        http.start();
        closeInReverse.add(http);
        ready.set(true);
        LOG.info("listening on {} (data dir {}, region {})", baseUri(), dataDir.root(), config.region());
    }

    /** The public services listener, serving the manager's sandboxes; where its hosts are. */
    private ExposureAddress startExposure(SandboxManager manager, ProcdClient procdClient) {
        ServerConfig.Exposure settings = config.exposure();
        boolean tls = settings.tls() != null;
        var hosts = new ExposureAddress(config.region(), settings.domain(), tls, 1); // the port plays no part in routing
        var listener = new ExposureListener(settings,
                new ExposureRouter(hosts, manager, RateLimiter.open(settings.rateLimitRedisUrl()), procdClient),
                config.maxConcurrentRequests());
        listener.start();
        closeInReverse.add(listener);
        exposurePort = listener.port();
        int port = settings.publicPort() != null ? settings.publicPort() : listener.port();
        ExposureAddress address = new ExposureAddress(config.region(), settings.domain(), tls, port);
        LOG.info("public services on {}:{} as {}://<sandbox>--p<port>.{}{}", settings.listen().getHostString(),
                listener.port(), tls ? "https" : "http", address.exposureDomain(),
                settings.rateLimitRedisUrl() == null ? "" : ", rate limits in Redis");
        return address;
    }

    /**
     * The node on this host over the data dir's layer storage, reconciled with what the store expects
     * to be running (runs a crash left behind are adopted or removed).
     */
    private LocalSandboxHost openHost(DataDir dataDir, SandboxStore store, ProcdClient procdClient) {
        ServerConfig.Sandboxes sandboxes = config.sandboxes();
        try {
            var procd = ProcdRuntime.of(Path.of(System.getProperty("java.home")), sandboxes.procdDir(),
                    Path.of("/usr/bin/tini-static"));
            var nodeConfig = NodeConfig.defaults(nodeName(dataDir), dataDir.root().resolve("node"), procd)
                    .withAddressPool(sandboxes.addressPool())
                    .withRuntime(sandboxes.runtime())
                    .withLogCap(sandboxes.logCapBytes())
                    .withFirstHostId(sandboxes.firstHostId())
                    .withPrivateRanges(sandboxes.privateRanges())
                    .withStarts(new NodeConfig.StartLimits(sandboxes.concurrentStarts(), sandboxes.maxStartWait()));
            node = Node.open(nodeConfig, dataDir.root().resolve("storage"), openBlobStore(dataDir),
                    sandboxes.imageCache(), SandboxManager.expectedRuns(store));
            closeInReverse.add(node);
            LOG.info("node {} ready: {}", nodeConfig.name(), node.reconcileReport());
            return new LocalSandboxHost(node, procdClient, openVolumePool(dataDir));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the sandbox runtime: " + e.getMessage(), e);
        }
    }

    /**
     * The node's volume pool, opened after the node (whose reconcile unmounts what dropped runs had of it) and
     * closed before it; null when this host cannot keep one (no btrfs): volume routes then answer 503 and claims
     * that mount volumes fail.
     */
    private VolumePool openVolumePool(DataDir dataDir) {
        try {
            VolumePool pool = VolumePool.open(dataDir.volumes(), config.sandboxes().volumePoolBytes());
            closeInReverse.add(pool);
            volumePool = pool;
            return pool;
        } catch (IOException | RuntimeException e) {
            volumePoolProblem = "the volume pool cannot be opened: " + e.getMessage();
            LOG.warn("sandbox volumes are not available on this host: {}", volumePoolProblem);
            return null;
        }
    }

    /**
     * The volume pool in the data dir (made the first time), with the store's view of it settled: creates and
     * deletes a stop interrupted are undone or finished before the API answers for volumes.
     */
    private VolumeService openVolumes(DataDir dataDir, VolumePool pool, VolumeStore store, VolumeMounts mounts,
            QuotaStore quotas, Clock clock) throws IOException {
        // Durable beyond the node: seals in an object store of their own, encrypted like the layers.
        VolumeObjects objects = new VolumeObjects(openVolumeObjectStore(dataDir));
        var heads = new VolumeHeads(database.jdbi());
        var sealer = new VolumeSealer(pool, objects, heads, Clock.systemUTC());
        var sealing = new VolumeSealing(sealer, mounts::writableVolumes, config.sandboxes().volumeSealInterval());
        var materializer = new VolumeMaterializer(pool, objects, dataDir.root().resolve("volume-rebuilds"));
        materializer.undoInterrupted();
        // Closed before the pool (in reverse): watches hold descriptors in it.
        volumeWatcher = VolumeWatcher.start(VolumeWatcher.Limits.DEFAULT);
        closeInReverse.add(volumeWatcher);
        var volumes = new VolumeService(store, new VolumeSnapshotStore(database.jdbi()), mounts, pool, quotas, clock,
                Duration.ofSeconds(60), new SealedVolumes(pool, sealer, sealing, heads, materializer), volumeWatcher);
        volumes.recover();
        // Closed before the pool (in reverse): its last pass seals what is due while the pool is there.
        closeInReverse.add(sealing.start());
        var collector = new VolumeObjectCollector(objects, heads, Duration.ofMinutes(30), Clock.systemUTC());
        closeInReverse.add(startCollector("volume-gc", collector::collect));
        LOG.info("volumes: pool at {}, sealed every {} s", dataDir.volumes(),
                config.sandboxes().volumeSealInterval().toSeconds());
        return volumes;
    }

    /** The installation key every stored object is encrypted under, read (or made) once. */
    private BlobCipher blobCipher(DataDir dataDir) throws IOException {
        if (blobCipher == null) {
            blobCipher = BlobCipher.loadOrCreate(dataDir.blobEncryptionKey());
        }
        return blobCipher;
    }

    /** Volume seals: beside the layer blobs (their own directory, or their own prefix of the bucket). */
    private BlobStore openVolumeObjectStore(DataDir dataDir) throws IOException {
        BlobCipher cipher = blobCipher(dataDir);
        return switch (config.blobStorage()) {
            case BlobStorage.Local local -> new LocalBlobStore(dataDir.root().resolve("volume-objects"), cipher);
            case BlobStorage.S3 s3 -> {
                var volumes = new BlobStorage.S3(s3.bucket(), s3.prefix() + "volumes", s3.endpoint(), s3.region(),
                        s3.pathStyle(), s3.accessKeyId(), s3.secretAccessKey());
                var store = S3BlobStore.open(volumes, dataDir.root().resolve("s3-volume-uploads"), cipher);
                closeInReverse.add(store);
                yield store;
            }
        };
    }

    /**
     * The configured blob store, encrypted under the installation key and closed after the node. Only one
     * server may use a bucket prefix: its layer collector deletes every blob there its store does not reference.
     */
    private BlobStore openBlobStore(DataDir dataDir) throws IOException {
        LOG.info("layer blobs: {}, encrypted", config.blobStorage().description());
        BlobCipher cipher = blobCipher(dataDir);
        return switch (config.blobStorage()) {
            case BlobStorage.Local local -> new LocalBlobStore(dataDir.root().resolve("storage").resolve("blobs"), cipher);
            case BlobStorage.S3 s3 -> {
                var store = S3BlobStore.open(s3, dataDir.root().resolve("s3-uploads"), cipher);
                closeInReverse.add(store);
                yield store;
            }
        };
    }

    /** Node names prefix kernel objects (veths, netns, nft table): one per data dir, 6 characters. */
    private static String nodeName(DataDir dataDir) {
        return "s" + Integer.toHexString(dataDir.root().toString().hashCode() & 0xfffff | 0x100000).substring(1);
    }

    /** The TTL reaper: one pass a second on a virtual thread, until the server stops. */
    private static AutoCloseable startReaper(SandboxManager manager) {
        Thread reaper = Thread.ofVirtual().name("ttl-reaper").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    manager.reap();
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.warn("ttl reaper pass failed: {}", e.getMessage());
                }
            }
        });
        return reaper::interrupt;
    }

    /** What GET /api/v1/quotas/{dimension} shows as used: sandboxes, volumes, and bytes through the egress proxy. */
    private static java.util.OptionalLong quotaUsage(QuotaGate gate, VolumeService volumes, ServerEgress egress,
            String team, QuotaDimension dimension) {
        try {
            return switch (dimension) {
                case ACTIVE_SANDBOXES, CPU_MILLICPU, MEMORY_MIB -> java.util.OptionalLong.of(gate.usage(team).get(dimension));
                case VOLUME_STORAGE_GB -> volumes == null ? java.util.OptionalLong.empty()
                        : java.util.OptionalLong.of(volumes.volumeStorageGb(team));
                case SNAPSHOT_STORAGE_GB -> volumes == null ? java.util.OptionalLong.empty()
                        : java.util.OptionalLong.of(volumes.snapshotStorageGb(team));
                case EGRESS, INGRESS -> egress.usage(team, dimension);
            };
        } catch (IOException e) {
            LOG.warn("quota usage of {} for team {}: {}", dimension.wire(), team, e.getMessage());
            return java.util.OptionalLong.empty();
        }
    }

    /** A garbage collection pass (layers, volume objects). */
    @FunctionalInterface
    private interface CollectionPass {
        Object collect() throws IOException;
    }

    /** Garbage collection: a pass a minute after start, then every ten minutes. */
    private static AutoCloseable startCollector(String name, CollectionPass pass) {
        Thread thread = Thread.ofVirtual().name(name).start(() -> {
            try {
                Thread.sleep(Duration.ofMinutes(1));
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        pass.collect();
                    } catch (IOException | RuntimeException e) {
                        LOG.warn("{} pass failed: {}", name, e.getMessage());
                    }
                    Thread.sleep(Duration.ofMinutes(10));
                }
            } catch (InterruptedException e) {
                // stopping
            }
        });
        return thread::interrupt;
    }

    /** Ended sessions, device logins and web login codes are dropped an hour after start and hourly after that. */
    private static AutoCloseable startPurge(Clock clock, List<ToIntFunction<Instant>> purges) {
        Thread thread = Thread.ofVirtual().name("session-purge").start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(Duration.ofHours(1));
                    for (var purge : purges) {
                        try {
                            purge.applyAsInt(clock.instant());
                        } catch (RuntimeException e) {
                            LOG.warn("session purge failed: {}", e.getMessage());
                        }
                    }
                }
            } catch (InterruptedException e) {
                // stopping
            }
        });
        return thread::interrupt;
    }

    private boolean isReady() {
        return ready.get() && database.ping();
    }

    /** The admin API key, when this start created the data dir's admin. */
    public Optional<String> createdAdminKey() {
        return created.apiKey();
    }

    /** The admin's generated password, when this start made one (also in the data dir's admin-password). */
    public Optional<String> generatedAdminPassword() {
        return created.generatedPassword();
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

    /** The URL clients reach this server at: {@code --public-url}, else {@link #baseUri()}. */
    public URI publicUrl() {
        return config.publicUrl() != null ? config.publicUrl() : baseUri();
    }

    /** The public services listener's bound port; -1 when this host serves no sandboxes. */
    public int exposurePort() {
        return exposurePort;
    }

    /** Every route served, for tests that check each one. */
    List<Route> routes() {
        return router.routes();
    }

    /** The node's volume pool (null without one), for tests in this package that make volumes behind the API. */
    VolumePool volumePool() {
        return volumePool;
    }

    /** The store, for tests in this package that seed it the way an admin would. */
    Database database() {
        return database;
    }

    public ServerConfig config() {
        return config;
    }

    /**
     * Closes, and removes from the host everything the node put there (every run, its firewall table):
     * for throwaway servers such as tests'. A normal {@link #close} leaves sandboxes running for the
     * next start to adopt.
     */
    void closeAndRemoveRuns() {
        Node current = node;
        if (current != null) {
            try {
                current.shutdown();
            } catch (IOException e) {
                LOG.warn("removing the node's runs failed: {}", e.getMessage());
            }
        }
        close();
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

    /** Interrupts what runs and waits up to {@code limit} for it to end; what is left is logged, not waited for. */
    private static void awaitQuiet(java.util.concurrent.ExecutorService executor, Duration limit) {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                LOG.warn("background work still running after {} s at close", limit.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
