package ai.sandbox0.cli;

import ai.sandbox0.cli.host.HostCheck;
import ai.sandbox0.cli.host.HostSetup;
import ai.sandbox0.cli.host.PackageInstaller;
import ai.sandbox0.server.Sandbox0Server;
import ai.sandbox0.server.ServerConfig;
import ai.sandbox0.server.Version;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code s0 server}: checks the host, starts everything on its embedded defaults and runs until SIGTERM/SIGINT. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = "Run the Sandbox0 server on this host (API, lifecycle manager and sandbox runtime).")
final class ServerCommand implements Callable<Integer> {

    /** True once a server is up, so {@code main} leaves the JVM running. */
    static final AtomicBoolean RUNNING = new AtomicBoolean();

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "State directory (env SANDBOX0_DATA_DIR; default /var/lib/sandbox0 as root, else ~/.sandbox0).")
    Path dataDir;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "API listen address (env SANDBOX0_LISTEN; default " + ServerConfig.DEFAULT_LISTEN + ").")
    String listen;

    @Option(names = "--region", paramLabel = "ID",
            description = "Region id, part of every API key (env SANDBOX0_REGION; default " + ServerConfig.DEFAULT_REGION + ").")
    String region;

    @Option(names = "--sandbox-network", paramLabel = "CIDR",
            description = "Addresses for sandboxes; must not overlap another server on this host"
                    + " (env SANDBOX0_SANDBOX_NETWORK; default 10.88.0.0/16).")
    String sandboxNetwork;

    @Option(names = "--sandbox-private-ranges", paramLabel = "CIDRS",
            description = "Networks no sandbox may reach whatever its policy, comma-separated, or 'none' to let sandboxes"
                    + " reach your LAN (other sandboxes, this host, loopback and link-local stay closed)"
                    + " (env SANDBOX0_SANDBOX_PRIVATE_RANGES; default 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,"
                    + "100.64.0.0/10,fc00::/7).")
    String sandboxPrivateRanges;

    @Option(names = "--default-ttl", paramLabel = "SECONDS",
            description = "Soft TTL of sandboxes claimed without one; 0 never pauses them (env SANDBOX0_DEFAULT_TTL; default 300).")
    String defaultTtl;

    @Option(names = "--sandbox-log-size", paramLabel = "SIZE",
            description = "A sandbox's container log is rotated past this size, the last part kept"
                    + " (env SANDBOX0_SANDBOX_LOG_SIZE; default 10Mi).")
    String sandboxLogSize;

    @Option(names = "--volume-pool-size", paramLabel = "SIZE",
            description = "Size of the sparse image in the data dir that holds every volume and volume snapshot; only"
                    + " what they hold takes disk space (env SANDBOX0_VOLUME_POOL_SIZE; default 64Gi, at least 1Gi).")
    String volumePoolSize;

    @Option(names = "--volume-seal-interval", paramLabel = "SECONDS",
            description = "How often a volume a sandbox holds writable, or one changed through the file API, is sealed"
                    + " into the object store: at most this much of its writes lives only on this host"
                    + " (env SANDBOX0_VOLUME_SEAL_INTERVAL; default 30).")
    String volumeSealInterval;

    @Option(names = "--max-concurrent-starts", paramLabel = "N",
            description = "Sandboxes started at once (cold claims, resumes, warm-pool refills); a start is mostly CPU"
                    + " (env SANDBOX0_MAX_CONCURRENT_STARTS; default twice the CPUs, at least 2).")
    String maxConcurrentStarts;

    @Option(names = "--max-start-wait", paramLabel = "SECONDS",
            description = "How long a claim or resume that must start a sandbox waits for its turn; past it, or when the"
                    + " starts ahead would take longer, it gets 503 with Retry-After (env SANDBOX0_MAX_START_WAIT; default 5).")
    String maxStartWait;

    @Option(names = "--sandbox-uid-base", paramLabel = "UID",
            description = "Host uid a sandbox's root becomes, in the first of 65536-id ranges, one per sandbox; must"
                    + " not overlap another server on this host (env SANDBOX0_SANDBOX_UID_BASE; default 1073741824).")
    String sandboxUidBase;

    @Option(names = "--database-url", paramLabel = "JDBC_URL",
            description = "Keep the store in PostgreSQL (jdbc:postgresql://host:5432/db?user=…&password=…) instead of"
                    + " SQLite in the data dir; prefer the environment (SANDBOX0_DATABASE_URL) or the config file for a"
                    + " URL with a password.")
    String databaseUrl;

    @Option(names = "--admin-email", paramLabel = "EMAIL",
            description = "Email of the admin user created at first start (env SANDBOX0_ADMIN_EMAIL; default"
                    + " admin@localhost). Its password comes from SANDBOX0_ADMIN_PASSWORD, else one is generated.")
    String adminEmail;

    @Option(names = "--registration", paramLabel = "true|false",
            description = "Let anyone create an account with POST /auth/register (env SANDBOX0_REGISTRATION;"
                    + " default false).")
    String registration;

    @Option(names = "--public-url", paramLabel = "URL",
            description = "The http(s) URL clients and browsers reach this server at, when not the listen address (a"
                    + " reverse proxy, a DNS name), e.g. https://sandbox0.example.com: GET /regions names it, and OIDC"
                    + " redirect URIs (URL/auth/oidc/ID/callback) and web login return URLs are made from it (env"
                    + " SANDBOX0_PUBLIC_URL; default the listen address). OIDC providers are set in the config file"
                    + " (oidc-providers).")
    String publicUrl;

    @Option(names = "--exposure-listen", paramLabel = "HOST:PORT",
            description = "Where public services are served, apart from the API (env SANDBOX0_EXPOSURE_LISTEN; default"
                    + " 127.0.0.1:7601).")
    String exposureListen;

    @Option(names = "--exposure-domain", paramLabel = "DOMAIN",
            description = "The root domain of public service hosts, <sandbox>--p<port>.<region>.<domain>; a wildcard DNS"
                    + " record *.<region>.<domain> must point at the exposure listener (env SANDBOX0_EXPOSURE_DOMAIN;"
                    + " default localhost, which needs no DNS).")
    String exposureDomain;

    @Option(names = "--exposure-public-port", paramLabel = "PORT",
            description = "The port clients use for public services when a load balancer stands in front (env"
                    + " SANDBOX0_EXPOSURE_PUBLIC_PORT; default the exposure listener's port).")
    String exposurePublicPort;
    @Option(names = "--exposure-redis-url", paramLabel = "URL",
            description = "Keep the rate limits of public service routes in Redis"
                    + " (redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB]), shared by every server using it; prefer the"
                    + " environment (SANDBOX0_EXPOSURE_REDIS_URL) or the config file for a URL with a password"
                    + " (default: in memory, per server).")
    String exposureRedisUrl;

    @Option(names = "--exposure-tls-cert", paramLabel = "FILE",
            description = "PEM certificate chain (leaf first, e.g. a wildcard for *.REGION.DOMAIN) of the public"
                    + " services listener; reloaded when it changes (env SANDBOX0_EXPOSURE_TLS_CERT; default:"
                    + " cleartext, for a TLS proxy in front).")
    String exposureTlsCert;

    @Option(names = "--exposure-tls-key", paramLabel = "FILE",
            description = "PEM private key (RSA, EC or Ed25519, unencrypted) of --exposure-tls-cert (env"
                    + " SANDBOX0_EXPOSURE_TLS_KEY).")
    String exposureTlsKey;

    @Option(names = "--blob-store", paramLabel = "local|s3://BUCKET[/PREFIX]",
            description = "Where layer blobs (images and the checkpoints of paused sandboxes) live: the data dir, or an"
                    + " S3 bucket, one prefix per server (env SANDBOX0_BLOB_STORE; default local). S3 credentials come"
                    + " from the AWS SDK's chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, …) or s3-access-key-id and"
                    + " s3-secret-access-key in the environment (SANDBOX0_S3_…) or the config file.")
    String blobStore;

    @Option(names = "--s3-endpoint", paramLabel = "URL",
            description = "An S3-compatible server instead of AWS, e.g. http://127.0.0.1:9000 (env SANDBOX0_S3_ENDPOINT).")
    String s3Endpoint;

    @Option(names = "--s3-region", paramLabel = "REGION",
            description = "The bucket's region (env SANDBOX0_S3_REGION; default the AWS SDK's, else us-east-1).")
    String s3Region;

    @Option(names = "--s3-path-style", paramLabel = "true|false", arity = "0..1", fallbackValue = "true",
            description = "Address the bucket in the path (http://host/bucket/key), as most S3-compatible servers"
                    + " want (env SANDBOX0_S3_PATH_STYLE; default false).")
    String s3PathStyle;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "YAML config file with the same settings as keys (env SANDBOX0_CONFIG). Flags and environment win.")
    Path config;

    @Option(names = "--install", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Install missing host packages with apt-get when running as root (default: true; --no-install only reports).")
    boolean install;

    @Override
    public Integer call() throws InterruptedException {
        PrintStream out = System.out;
        var flags = new HashMap<String, String>();
        if (dataDir != null) {
            flags.put("data-dir", dataDir.toString());
        }
        if (listen != null) {
            flags.put("listen", listen);
        }
        if (region != null) {
            flags.put("region", region);
        }
        if (sandboxPrivateRanges != null) {
            flags.put("sandbox-private-ranges", sandboxPrivateRanges);
        }
        if (sandboxNetwork != null) {
            flags.put("sandbox-network", sandboxNetwork);
        }
        if (defaultTtl != null) {
            flags.put("default-ttl", defaultTtl);
        }
        if (sandboxLogSize != null) {
            flags.put("sandbox-log-size", sandboxLogSize);
        }
        if (volumeSealInterval != null) {
            flags.put("volume-seal-interval", volumeSealInterval);
        }
        if (volumePoolSize != null) {
            flags.put("volume-pool-size", volumePoolSize);
        }
        if (maxConcurrentStarts != null) {
            flags.put("max-concurrent-starts", maxConcurrentStarts);
        }
        if (maxStartWait != null) {
            flags.put("max-start-wait", maxStartWait);
        }
        if (sandboxUidBase != null) {
            flags.put("sandbox-uid-base", sandboxUidBase);
        }
        if (databaseUrl != null) {
            flags.put("database-url", databaseUrl);
        }
        if (adminEmail != null) {
            flags.put("admin-email", adminEmail);
        }
        if (registration != null) {
            flags.put("registration", registration);
        }
        if (publicUrl != null) {
            flags.put("public-url", publicUrl);
        }
        if (exposureListen != null) {
            flags.put("exposure-listen", exposureListen);
        }
        if (exposureDomain != null) {
            flags.put("exposure-domain", exposureDomain);
        }
        if (exposurePublicPort != null) {
            flags.put("exposure-public-port", exposurePublicPort);
        }
        if (exposureRedisUrl != null) {
            flags.put("exposure-redis-url", exposureRedisUrl);
        }
        if (exposureTlsCert != null) {
            flags.put("exposure-tls-cert", exposureTlsCert);
        }
        if (exposureTlsKey != null) {
            flags.put("exposure-tls-key", exposureTlsKey);
        }
        if (blobStore != null) {
            flags.put("blob-store", blobStore);
        }
        if (s3Endpoint != null) {
            flags.put("s3-endpoint", s3Endpoint);
        }
        if (s3Region != null) {
            flags.put("s3-region", s3Region);
        }
        if (s3PathStyle != null) {
            flags.put("s3-path-style", s3PathStyle);
        }
        HostCheck check = HostCheck.ofThisHost();
        String home = System.getProperty("s0.home");
        Path procdDir = home == null ? null : Path.of(home, "lib", "procd");
        ServerConfig settings = ServerSettings.resolve(flags, System.getenv(), config, check.check(List.of()).root(), procdDir);
        new HostSetup(check, new PackageInstaller(out), out).prepare(HostCheck.SERVER, install);

        Sandbox0Server server = Sandbox0Server.start(settings);
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "shutdown"));
        RUNNING.set(true);

        server.createdAdminKey().ifPresent(key -> {
            out.println();
            out.println("Admin API key (shown once; also saved to " + settings.dataDir().resolve("admin-api-key") + ", mode 0600):");
            out.println("  " + key);
            out.println();
        });
        server.generatedAdminPassword().ifPresent(password -> {
            out.println("Admin login: " + settings.identity().adminEmail() + " (password shown once; also saved to "
                    + settings.dataDir().resolve("admin-password") + ", mode 0600):");
            out.println("  " + password);
            out.println();
        });
        out.println("Data dir: " + settings.dataDir());
        // Last line of the start-up banner: scripts wait for it.
        out.println("Sandbox0 " + Version.current() + " listening on " + server.baseUri());
        out.flush();
        stopped.await();
        return 0;
    }
}
