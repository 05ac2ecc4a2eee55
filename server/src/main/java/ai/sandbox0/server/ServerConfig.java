package ai.sandbox0.server;

import ai.sandbox0.server.tenancy.ApiKeyToken;
import ai.sandbox0.node.NodeConfig;
import ai.sandbox0.node.egress.PlatformRules;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything {@code s0 server} needs to start, already resolved from flags, environment, config file
 * and defaults (the CLI owns that precedence).
 */
public record ServerConfig(
        Path dataDir,
        InetSocketAddress listen,
        String region,
        long maxJsonBodyBytes,
        int maxConcurrentRequests,
        long stopGraceMillis,
        Sandboxes sandboxes,
        String databaseUrl,
        BlobStorage blobStorage,
        Identity identity,
        Duration apiKeyUsageFlush,
        URI publicUrl,
        Exposure exposure) {

    /**
     * Users and logins. {@code adminPassword} (may be null: one is generated) is only used when the
     * first admin is created; {@code registration} lets anyone create an account with {@code POST /auth/register}.
     * {@code oidcProviders} are offered for login in this order (their redirect URIs are made from the
     * server's public URL).
     */
    public record Identity(String adminEmail, String adminPassword, boolean registration,
            List<OidcProvider> oidcProviders) {

        public static final String DEFAULT_ADMIN_EMAIL = "admin@localhost";
        private static final java.util.regex.Pattern EMAIL = java.util.regex.Pattern.compile("[^@\\s]{1,64}@[^@\\s]{1,255}");

        /** What this server takes for an email address: the first admin's, a registering user's. */
        public static boolean isEmail(String value) {
            return value.length() <= 320 && EMAIL.matcher(value).matches();
        }

        public Identity {
            oidcProviders = List.copyOf(oidcProviders);
            if (oidcProviders.stream().map(OidcProvider::id).distinct().count() != oidcProviders.size()) {
                throw new IllegalArgumentException("OIDC provider ids must be unique");
            }
        }

        public Identity(String adminEmail, String adminPassword, boolean registration) {
            this(adminEmail, adminPassword, registration, List.of());
        }

        public static Identity defaults() {
            return new Identity(DEFAULT_ADMIN_EMAIL, null, false);
        }

        public Identity withOidc(List<OidcProvider> providers) {
            return new Identity(adminEmail, adminPassword, registration, providers);
        }

        @Override
        public String toString() {
            return "Identity[adminEmail=" + adminEmail + ", adminPassword=" + (adminPassword == null ? null : "<redacted>")
                    + ", registration=" + registration + ", oidcProviders="
                    + oidcProviders + "]";
        }
    }

    /**
     * An OpenID Connect provider users may log in with. {@code clientSecret} is null for a public client;
     * {@code autoProvision} null follows {@link Identity#registration()}; {@code deviceAuthorizationEndpoint}
     * null takes the one the provider's discovery document names (if any).
     */
    public record OidcProvider(String id, String name, URI issuer, String clientId, String clientSecret,
            List<String> scopes, Boolean autoProvision, URI deviceAuthorizationEndpoint) {

        public static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
        public static final List<String> DEFAULT_SCOPES = List.of("openid", "email", "profile");

        public OidcProvider {
            Objects.requireNonNull(id, "id");
            if (!ID.matcher(id).matches()) {
                throw new IllegalArgumentException("OIDC provider id must be lowercase letters, digits and '-' (at most"
                        + " 63), got '" + id + "'");
            }
            Objects.requireNonNull(issuer, "issuer");
            Objects.requireNonNull(clientId, "clientId");
            name = name == null || name.isBlank() ? id : name;
            scopes = scopes == null || scopes.isEmpty() ? DEFAULT_SCOPES : List.copyOf(scopes);
            if (!scopes.contains("openid")) {
                throw new IllegalArgumentException("OIDC provider '" + id + "': scopes must include openid");
            }
        }

        public OidcProvider(String id, String name, URI issuer, String clientId, String clientSecret) {
            this(id, name, issuer, clientId, clientSecret, null, null, null);
        }

        public OidcProvider withAutoProvision(Boolean value) {
            return new OidcProvider(id, name, issuer, clientId, clientSecret, scopes, value, deviceAuthorizationEndpoint);
        }

        public OidcProvider withDeviceAuthorizationEndpoint(URI endpoint) {
            return new OidcProvider(id, name, issuer, clientId, clientSecret, scopes, autoProvision, endpoint);
        }

        // The client secret stays out of logs.
        @Override
        public String toString() {
            return "OidcProvider[id=" + id + ", name=" + name + ", issuer=" + issuer + ", clientId=" + clientId
                    + ", clientSecret=" + (clientSecret == null ? null : "<redacted>") + ", scopes=" + scopes
                    + ", autoProvision=" + autoProvision + "]";
        }
    }

    /**
     * How this host runs sandboxes. {@code procdDir} holds procd.jar (null: the distribution has none,
     * so the server runs without sandboxes); {@code imageCache} is shared by every data dir on the host;
     * {@code addressPool} must not overlap another server's on the same host.
     */
    /**
     * @param logCapBytes a sandbox's container log is rotated past this size, the last part kept
     * @param firstHostId the host uid a sandbox's root is in the first address slot (65536 ids per slot); must
     *     not overlap another server's on the same host
     * @param volumePoolBytes the size of the sparse image that holds every volume and volume snapshot
     * @param volumeSealInterval how often a volume held writable by a sandbox (or changed through the file API)
     *     is sealed into the object store: at most this much of its writes is only on this host
     * @param privateRanges networks no sandbox may reach whatever its policy (other sandboxes, this host, loopback
     *     and link-local are closed besides); by default RFC 1918, CGNAT and IPv6 unique-local
     */
    public record Sandboxes(Path procdDir, Path imageCache, String addressPool, Path runtime, Duration defaultTtl,
            long logCapBytes, long firstHostId, long volumePoolBytes, Duration volumeSealInterval,
            List<String> privateRanges, int concurrentStarts, Duration maxStartWait) {

        public static final Duration DEFAULT_VOLUME_SEAL_INTERVAL = Duration.ofSeconds(30);

        /** The volume pool's default size: sparse, so only what volumes hold takes disk space. */
        public static final long DEFAULT_VOLUME_POOL_BYTES = 64L << 30;
        /** Smaller pools leave btrfs too little room for its own metadata. */
        public static final long MIN_VOLUME_POOL_BYTES = 1L << 30;

        public Sandboxes {
            privateRanges = List.copyOf(privateRanges);
            for (String cidr : privateRanges) {
                try {
                    ai.sandbox0.node.egress.IpRange.parse(cidr);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("'" + cidr + "' is not a CIDR (such as 192.168.0.0/16)");
                }
            }
            if (volumePoolBytes < MIN_VOLUME_POOL_BYTES) {
                throw new IllegalArgumentException("the volume pool must be at least 1Gi, got " + volumePoolBytes
                        + " bytes");
            }
            new NodeConfig.StartLimits(concurrentStarts, maxStartWait); // the node's own checks, at configuration time
            if (volumeSealInterval == null || volumeSealInterval.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("the volume seal interval must be at least 1 second, got "
                        + volumeSealInterval);
            }
        }

        public static Sandboxes defaults(Path procdDir) {
            var starts = NodeConfig.StartLimits.defaults();
            return new Sandboxes(procdDir, Path.of("/var/cache/sandbox0"), "10.88.0.0/16", Path.of("/usr/sbin/runc"),
                    Duration.ofMinutes(5), 10L << 20, NodeConfig.DEFAULT_FIRST_HOST_ID, DEFAULT_VOLUME_POOL_BYTES,
                    DEFAULT_VOLUME_SEAL_INTERVAL, PlatformRules.DEFAULT_PRIVATE_RANGES,
                    starts.concurrent(), starts.maxWait());
        }

        public Sandboxes withAddressPool(String cidr) {
            return new Sandboxes(procdDir, imageCache, cidr, runtime, defaultTtl, logCapBytes, firstHostId,
                    volumePoolBytes, volumeSealInterval, privateRanges, concurrentStarts, maxStartWait);
        }

        public Sandboxes withDefaultTtl(Duration ttl) {
            return new Sandboxes(procdDir, imageCache, addressPool, runtime, ttl, logCapBytes, firstHostId,
                    volumePoolBytes, volumeSealInterval, privateRanges, concurrentStarts, maxStartWait);
        }

        public Sandboxes withLogCap(long bytes) {
            return new Sandboxes(procdDir, imageCache, addressPool, runtime, defaultTtl, bytes, firstHostId,
                    volumePoolBytes, volumeSealInterval, privateRanges, concurrentStarts, maxStartWait);
        }

        public Sandboxes withFirstHostId(long id) {
            return new Sandboxes(procdDir, imageCache, addressPool, runtime, defaultTtl, logCapBytes, id,
                    volumePoolBytes, volumeSealInterval, privateRanges, concurrentStarts, maxStartWait);
        }

        public Sandboxes withVolumePoolBytes(long bytes) {
            return new Sandboxes(procdDir, imageCache, addressPool, runtime, defaultTtl, logCapBytes, firstHostId, bytes,
                    volumeSealInterval, privateRanges, concurrentStarts, maxStartWait);
        }

        public Sandboxes withPrivateRanges(List<String> ranges) {
            return new Sandboxes(procdDir, imageCache, addressPool, runtime, defaultTtl, logCapBytes, firstHostId,
                    volumePoolBytes, volumeSealInterval, ranges, concurrentStarts, maxStartWait);
        }

        public Sandboxes withVolumeSealInterval(Duration interval) {
            return new Sandboxes(procdDir, imageCache, addressPool, runtime, defaultTtl, logCapBytes, firstHostId,
                    volumePoolBytes, interval, privateRanges, concurrentStarts, maxStartWait);
        }

        /** How many sandboxes start at once, and how long a claim or resume waits for its turn. */
        public Sandboxes withStarts(int concurrent, Duration maxWait) {
            return new Sandboxes(procdDir, imageCache, addressPool, runtime, defaultTtl, logCapBytes, firstHostId,
                    volumePoolBytes, volumeSealInterval, privateRanges, concurrent, maxWait);
        }
    }

    /**
     * The public services listener (spec §7.3), apart from the API's.
     *
     * @param listen its own address
     * @param domain the root of public hosts, {@code <sandbox>--p<port>.<region>.<domain>}
     * @param publicPort the port clients use when a load balancer stands in front (null: the listener's own)
     * @param rateLimitRedisUrl {@code redis://} or {@code rediss://} URL of the Redis that keeps routes' rate
     *     limits, shared by every server using it (may hold a password: never logged); null keeps them in memory
     * @param tls the listener's certificate chain and private key files (reloaded when they change); null serves
     *     cleartext HTTP and h2c (behind a TLS-terminating proxy, or locally)
     */
    public record Exposure(InetSocketAddress listen, String domain, Integer publicPort, String rateLimitRedisUrl,
            Tls tls) {

        public static final String DEFAULT_LISTEN = "127.0.0.1:7601";
        /** Resolves to loopback in browsers and curl with no DNS set-up, subdomains included. */
        public static final String DEFAULT_DOMAIN = "localhost";
        private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

        /** PEM files: the certificate chain (leaf first) and its unencrypted private key. */
        public record Tls(Path certificateChain, Path privateKey) {
            public Tls {
                Objects.requireNonNull(certificateChain, "certificateChain");
                Objects.requireNonNull(privateKey, "privateKey");
            }
        }

        public Exposure {
            Objects.requireNonNull(listen, "listen");
            Objects.requireNonNull(domain, "domain");
            domain = domain.strip().toLowerCase(java.util.Locale.ROOT);
            while (domain.startsWith(".")) {
                domain = domain.substring(1);
            }
            while (domain.endsWith(".")) {
                domain = domain.substring(0, domain.length() - 1);
            }
            for (String label : domain.split("\\.", -1)) {
                if (!DNS_LABEL.matcher(label).matches()) {
                    throw new IllegalArgumentException("exposure-domain must be DNS labels separated by dots (such as"
                            + " sandbox0.example.com), got '" + domain + "'");
                }
            }
            if (publicPort != null && (publicPort < 1 || publicPort > 65535)) {
                throw new IllegalArgumentException("exposure-public-port must be 1..65535, got " + publicPort);
            }
            if (rateLimitRedisUrl != null) {
                rateLimitRedisUrl = rateLimitRedisUrl.strip();
                ai.sandbox0.server.service.RedisRateLimiter.Location.parse(rateLimitRedisUrl);
            }
        }

        public static Exposure defaults() {
            return new Exposure(parseListen(DEFAULT_LISTEN), DEFAULT_DOMAIN, null, null, null);
        }

        /** On loopback at a free port: for servers tests start side by side. */
        public static Exposure ephemeral() {
            return new Exposure(new InetSocketAddress("127.0.0.1", 0), DEFAULT_DOMAIN, null, null, null);
        }

        public Exposure withRateLimitRedisUrl(String url) {
            return new Exposure(listen, domain, publicPort, url, tls);
        }

        public Exposure withTls(Tls files) {
            return new Exposure(listen, domain, publicPort, rateLimitRedisUrl, files);
        }

        // The Redis URL may hold a password.
        @Override
        public String toString() {
            return "Exposure[listen=" + listen + ", domain=" + domain + ", publicPort=" + publicPort
                    + ", rateLimitRedisUrl=" + (rateLimitRedisUrl == null ? null
                    : ai.sandbox0.server.service.RedisRateLimiter.Location.parse(rateLimitRedisUrl))
                    + ", tls=" + tls + "]";
        }
    }

    public static final String DEFAULT_LISTEN = "127.0.0.1:7600";
    /** How often API keys' usage counts reach the store: what a killed server can lose at most. */
    public static final Duration DEFAULT_API_KEY_USAGE_FLUSH = Duration.ofSeconds(5);
    public static final String DEFAULT_REGION = "local";

    public ServerConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(blobStorage, "blobStorage");
        Objects.requireNonNull(apiKeyUsageFlush, "apiKeyUsageFlush");
        Objects.requireNonNull(exposure, "exposure");
        if (apiKeyUsageFlush.isNegative() || apiKeyUsageFlush.isZero()) {
            throw new IllegalArgumentException("apiKeyUsageFlush must be positive, got " + apiKeyUsageFlush);
        }
        if (publicUrl != null) {
            publicUrl = parsePublicUrl(publicUrl.toString());
        }
        if (!ApiKeyToken.REGION.matcher(region).matches()) {
            throw new IllegalArgumentException("region must be a lowercase DNS label (a-z, 0-9, '-'), got '" + region + "'");
        }
    }

    public static ServerConfig of(Path dataDir, InetSocketAddress listen, String region, Sandboxes sandboxes) {
        return new ServerConfig(dataDir, listen, region, 10L * 1024 * 1024, 4096, 3_000, sandboxes, null,
                new BlobStorage.Local(), Identity.defaults(), DEFAULT_API_KEY_USAGE_FLUSH, null, Exposure.ephemeral());
    }

    /** The store in PostgreSQL at {@code jdbcUrl} instead of SQLite in the data dir (null: SQLite). */
    public ServerConfig withDatabaseUrl(String jdbcUrl) {
        return new ServerConfig(dataDir, listen, region, maxJsonBodyBytes, maxConcurrentRequests, stopGraceMillis,
                sandboxes, jdbcUrl, blobStorage, identity, apiKeyUsageFlush, publicUrl, exposure);
    }

    /** Layer blobs (images and checkpoints) in {@code storage} instead of the data dir. */
    public ServerConfig withBlobStorage(BlobStorage storage) {
        return new ServerConfig(dataDir, listen, region, maxJsonBodyBytes, maxConcurrentRequests, stopGraceMillis,
                sandboxes, databaseUrl, storage, identity, apiKeyUsageFlush, publicUrl, exposure);
    }

    public ServerConfig withIdentity(Identity identity) {
        return new ServerConfig(dataDir, listen, region, maxJsonBodyBytes, maxConcurrentRequests, stopGraceMillis,
                sandboxes, databaseUrl, blobStorage, identity, apiKeyUsageFlush, publicUrl, exposure);
    }

    /** How often API key usage is written (tests shorten it). */
    public ServerConfig withApiKeyUsageFlush(Duration interval) {
        return new ServerConfig(dataDir, listen, region, maxJsonBodyBytes, maxConcurrentRequests, stopGraceMillis,
                sandboxes, databaseUrl, blobStorage, identity, interval, publicUrl, exposure);
    }

    /** Where public services are served, how their hosts are named, their TLS and their rate limits' store. */
    public ServerConfig withExposure(Exposure exposure) {
        return new ServerConfig(dataDir, listen, region, maxJsonBodyBytes, maxConcurrentRequests, stopGraceMillis,
                sandboxes, databaseUrl, blobStorage, identity, apiKeyUsageFlush, publicUrl, exposure);
    }

    /** The URL clients reach this server at, when it is not the listen address (a proxy, a DNS name); null: that. */
    public ServerConfig withPublicUrl(URI url) {
        return new ServerConfig(dataDir, listen, region, maxJsonBodyBytes, maxConcurrentRequests, stopGraceMillis,
                sandboxes, databaseUrl, blobStorage, identity, apiKeyUsageFlush, url, exposure);
    }

    /**
     * An absolute http or https URL without query, fragment or credentials, as clients should be told to use
     * it; a trailing slash is dropped. Anything else is an error naming what is wrong.
     */
    public static URI parsePublicUrl(String value) {
        String v = value.strip();
        URI url;
        try {
            url = new URI(v);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("public-url must be an absolute http(s) URL such as"
                    + " https://sandbox0.example.com, got '" + value + "': " + e.getReason());
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!url.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
            throw new IllegalArgumentException("public-url must be an absolute http(s) URL with a host, such as"
                    + " https://sandbox0.example.com, got '" + value + "'");
        }
        if (url.getRawUserInfo() != null) {
            // Not echoed: the part before '@' may be a password.
            throw new IllegalArgumentException("public-url must not contain credentials (user:password@)");
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null) {
            throw new IllegalArgumentException("public-url must not have a query or a fragment, got '" + value + "'");
        }
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return URI.create(scheme + "://" + url.getRawAuthority() + path);
    }

    /** The store's location for logs: the SQLite file, or the PostgreSQL URL without its credentials. */
    public String storeDescription() {
        return databaseUrl == null ? "SQLite " + dataDir.resolve("sandbox0.db") : "PostgreSQL "
                + ai.sandbox0.server.store.Database.redacted(databaseUrl);
    }

    /** {@code /var/lib/sandbox0} for root, {@code ~/.sandbox0} for anyone else. */
    public static Path defaultDataDir(boolean root) {
        return root ? Path.of("/var/lib/sandbox0") : Path.of(System.getProperty("user.home"), ".sandbox0");
    }

    /** Parses {@code host:port}, {@code [v6]:port} or {@code :port} (all interfaces). */
    public static InetSocketAddress parseListen(String value) {
        String v = value.trim();
        int colon = v.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("listen address must be host:port, got '" + value + "'");
        }
        String host = v.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("listen port must be a number, got '" + value + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("listen port must be 0..65535, got " + port);
        }
        return host.isEmpty() ? new InetSocketAddress(port) : InetSocketAddress.createUnresolved(host, port);
    }
}
