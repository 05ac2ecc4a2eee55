package ai.sandbox0.cli;

import ai.sandbox0.api.Quantity;
import ai.sandbox0.server.BlobStorage;
import ai.sandbox0.server.ServerConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Resolves {@code s0 server}'s settings. Precedence, highest first: command-line flag, environment
 * variable, config file, built-in default. The config file is YAML with the flags' names as keys.
 */
public final class ServerSettings {

    /** Setting name (the flag without dashes) → environment variable. */
    static final Map<String, String> ENVIRONMENT = Map.ofEntries(
            Map.entry("data-dir", "SANDBOX0_DATA_DIR"),
            Map.entry("listen", "SANDBOX0_LISTEN"),
            Map.entry("region", "SANDBOX0_REGION"),
            Map.entry("sandbox-network", "SANDBOX0_SANDBOX_NETWORK"),
            Map.entry("sandbox-private-ranges", "SANDBOX0_SANDBOX_PRIVATE_RANGES"),
            Map.entry("default-ttl", "SANDBOX0_DEFAULT_TTL"),
            Map.entry("sandbox-log-size", "SANDBOX0_SANDBOX_LOG_SIZE"),
            Map.entry("sandbox-uid-base", "SANDBOX0_SANDBOX_UID_BASE"),
            Map.entry("volume-pool-size", "SANDBOX0_VOLUME_POOL_SIZE"),
            Map.entry("volume-seal-interval", "SANDBOX0_VOLUME_SEAL_INTERVAL"),
            Map.entry("max-concurrent-starts", "SANDBOX0_MAX_CONCURRENT_STARTS"),
            Map.entry("max-start-wait", "SANDBOX0_MAX_START_WAIT"),
            Map.entry("database-url", "SANDBOX0_DATABASE_URL"),
            Map.entry("admin-email", "SANDBOX0_ADMIN_EMAIL"),
            Map.entry("registration", "SANDBOX0_REGISTRATION"),
            Map.entry("public-url", "SANDBOX0_PUBLIC_URL"),
            Map.entry("exposure-listen", "SANDBOX0_EXPOSURE_LISTEN"),
            Map.entry("exposure-domain", "SANDBOX0_EXPOSURE_DOMAIN"),
            Map.entry("exposure-public-port", "SANDBOX0_EXPOSURE_PUBLIC_PORT"),
            Map.entry("exposure-redis-url", "SANDBOX0_EXPOSURE_REDIS_URL"),
            Map.entry("exposure-tls-cert", "SANDBOX0_EXPOSURE_TLS_CERT"),
            Map.entry("exposure-tls-key", "SANDBOX0_EXPOSURE_TLS_KEY"),
            Map.entry("blob-store", "SANDBOX0_BLOB_STORE"),
            Map.entry("s3-endpoint", "SANDBOX0_S3_ENDPOINT"),
            Map.entry("s3-region", "SANDBOX0_S3_REGION"),
            Map.entry("s3-path-style", "SANDBOX0_S3_PATH_STYLE"),
            // No flags for these two: a command line is visible to every user of the host.
            Map.entry("s3-access-key-id", "SANDBOX0_S3_ACCESS_KEY_ID"),
            Map.entry("s3-secret-access-key", "SANDBOX0_S3_SECRET_ACCESS_KEY"));
    /** The settings that only mean something with an S3 blob store. */
    private static final List<String> S3_SETTINGS = List.of("s3-endpoint", "s3-region", "s3-path-style",
            "s3-access-key-id", "s3-secret-access-key");
    /** The first admin's password: from the environment only, never a flag (flags show in process lists). */
    static final String ADMIN_PASSWORD_ENV = "SANDBOX0_ADMIN_PASSWORD";
    static final String CONFIG_ENV = "SANDBOX0_CONFIG";
    /** The config file's one structured setting: a list of providers, each a mapping. */
    static final String OIDC_PROVIDERS = "oidc-providers";
    private static final Set<String> OIDC_PROVIDER_KEYS = Set.of("id", "name", "issuer", "client-id", "client-secret",
            "scopes", "auto-provision", "device-authorization-endpoint");
    private static final String WELL_KNOWN = "/.well-known/openid-configuration";

    /** What a config file holds: the flags' settings, and the OIDC providers (missing node when none). */
    record ConfigFile(Map<String, String> values, JsonNode oidcProviders) {
    }

    private ServerSettings() {
    }

    /**
     * @param procdDir where the distribution keeps procd.jar (null when it has none)
     */
    public static ServerConfig resolve(Map<String, String> flags, Map<String, String> env, Path configFlag, boolean root,
            Path procdDir) {
        Path configFile = configFlag != null ? configFlag
                : env.get(CONFIG_ENV) != null && !env.get(CONFIG_ENV).isBlank() ? Path.of(env.get(CONFIG_ENV)) : null;
        ConfigFile config = configFile == null ? new ConfigFile(Map.of(), MissingNode.getInstance()) : readConfig(configFile);
        Map<String, String> file = config.values();
        String dataDir = pick("data-dir", flags, env, file);
        String listen = pick("listen", flags, env, file);
        String region = pick("region", flags, env, file);
        var sandboxes = ServerConfig.Sandboxes.defaults(procdDir);
        String network = pick("sandbox-network", flags, env, file);
        if (network != null) {
            sandboxes = sandboxes.withAddressPool(network.strip());
        }
        String privateRanges = pick("sandbox-private-ranges", flags, env, file);
        if (privateRanges != null) {
            try {
                sandboxes = sandboxes.withPrivateRanges(privateRanges(privateRanges));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("sandbox-private-ranges: " + e.getMessage()
                        + "; give a comma-separated list, or none");
            }
        }
        String ttl = pick("default-ttl", flags, env, file);
        if (ttl != null) {
            sandboxes = sandboxes.withDefaultTtl(Duration.ofSeconds(seconds("default-ttl", ttl)));
        }
        String logSize = pick("sandbox-log-size", flags, env, file);
        if (logSize != null) {
            sandboxes = sandboxes.withLogCap(logBytes(logSize));
        }
        String uidBase = pick("sandbox-uid-base", flags, env, file);
        if (uidBase != null) {
            sandboxes = sandboxes.withFirstHostId(uidBase(uidBase));
        }
        String poolSize = pick("volume-pool-size", flags, env, file);
        if (poolSize != null) {
            sandboxes = sandboxes.withVolumePoolBytes(volumePoolBytes(poolSize));
        }
        String sealInterval = pick("volume-seal-interval", flags, env, file);
        if (sealInterval != null) {
            long sealSeconds = seconds("volume-seal-interval", sealInterval);
            if (sealSeconds < 1) {
                throw new IllegalArgumentException("volume-seal-interval must be at least 1 second, got '"
                        + sealInterval + "'");
            }
            sandboxes = sandboxes.withVolumeSealInterval(Duration.ofSeconds(sealSeconds));
        }
        String concurrentStarts = pick("max-concurrent-starts", flags, env, file);
        String startWait = pick("max-start-wait", flags, env, file);
        if (concurrentStarts != null || startWait != null) {
            int concurrent = sandboxes.concurrentStarts();
            if (concurrentStarts != null) {
                try {
                    concurrent = Integer.parseInt(concurrentStarts.strip());
                } catch (NumberFormatException e) {
                    concurrent = 0;
                }
                if (concurrent < 1) {
                    throw new IllegalArgumentException("max-concurrent-starts must be a whole number >= 1, got '"
                            + concurrentStarts + "'");
                }
            }
            Duration wait = startWait == null ? sandboxes.maxStartWait()
                    : Duration.ofSeconds(seconds("max-start-wait", startWait));
            sandboxes = sandboxes.withStarts(concurrent, wait);
        }
        String databaseUrl = pick("database-url", flags, env, file);
        if (databaseUrl != null && !databaseUrl.strip().startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("database-url must be a PostgreSQL JDBC URL"
                    + " (jdbc:postgresql://host:5432/db?user=…&password=…)");
        }
        String publicUrl = pick("public-url", flags, env, file);
        return ServerConfig.of(
                dataDir == null ? ServerConfig.defaultDataDir(root) : Path.of(dataDir),
                ServerConfig.parseListen(listen == null ? ServerConfig.DEFAULT_LISTEN : listen),
                region == null ? ServerConfig.DEFAULT_REGION : region,
                sandboxes).withDatabaseUrl(databaseUrl == null ? null : databaseUrl.strip())
                .withBlobStorage(blobStorage(name -> pick(name, flags, env, file)))
                .withIdentity(identity(flags, env, file).withOidc(oidcProviders(config.oidcProviders(), env)))
                .withPublicUrl(publicUrl == null ? null : ServerConfig.parsePublicUrl(publicUrl))
                .withExposure(exposure(name -> pick(name, flags, env, file)));
    }

    /** {@code exposure-*}: the public services listener, its hosts, its certificate and where rate limits live. */
    static ServerConfig.Exposure exposure(Function<String, String> setting) {
        String listen = setting.apply("exposure-listen");
        String domain = setting.apply("exposure-domain");
        String port = setting.apply("exposure-public-port");
        String redis = setting.apply("exposure-redis-url");
        String cert = setting.apply("exposure-tls-cert");
        String key = setting.apply("exposure-tls-key");
        Integer publicPort = null;
        if (port != null && !port.isBlank()) {
            try {
                publicPort = Integer.parseInt(port.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("exposure-public-port must be a port number, got '" + port + "'");
            }
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("exposure-tls-cert and exposure-tls-key go together (a PEM certificate"
                    + " chain and its private key), or set neither for cleartext");
        }
        var tls = cert == null ? null : new ServerConfig.Exposure.Tls(Path.of(cert.strip()), Path.of(key.strip()));
        java.net.InetSocketAddress address;
        try {
            address = ServerConfig.parseListen(listen == null ? ServerConfig.Exposure.DEFAULT_LISTEN : listen);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("exposure-listen: " + e.getMessage(), e);
        }
        var root = domain == null || domain.isBlank() ? ServerConfig.Exposure.DEFAULT_DOMAIN : domain;
        try {
            return new ServerConfig.Exposure(address, root, publicPort, null, tls)
                    .withRateLimitRedisUrl(redis == null || redis.isBlank() ? null : redis);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith("exposure-") ? e.getMessage()
                    : "exposure-redis-url: " + e.getMessage(), e);
        }
    }

    /**
     * {@code oidc-providers} from the config file: a list of mappings with the keys of
     * {@link #OIDC_PROVIDER_KEYS}. A client secret may instead come from {@code SANDBOX0_OIDC_<ID>_CLIENT_SECRET}
     * (the id upper-cased, '-' as '_'), which wins; there is no flag for it.
     */
    static List<ServerConfig.OidcProvider> oidcProviders(JsonNode node, Map<String, String> env) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException(OIDC_PROVIDERS + " must be a list of providers ({id, name, issuer,"
                    + " client-id, client-secret})");
        }
        var providers = new java.util.ArrayList<ServerConfig.OidcProvider>();
        for (JsonNode entry : node) {
            if (!entry.isObject()) {
                throw new IllegalArgumentException(OIDC_PROVIDERS + ": each provider must be a mapping");
            }
            String id = text(entry, "id", null);
            if (id == null) {
                throw new IllegalArgumentException(OIDC_PROVIDERS + ": every provider needs an id");
            }
            String where = OIDC_PROVIDERS + " '" + id + "'";
            for (Iterator<String> names = entry.fieldNames(); names.hasNext(); ) {
                String key = names.next();
                if (!OIDC_PROVIDER_KEYS.contains(key)) {
                    throw new IllegalArgumentException(where + ": unknown setting '" + key + "' (known: "
                            + String.join(", ", OIDC_PROVIDER_KEYS.stream().sorted().toList()) + ")");
                }
            }
            String issuer = text(entry, "issuer", where);
            if (issuer.endsWith(WELL_KNOWN)) {
                issuer = issuer.substring(0, issuer.length() - WELL_KNOWN.length());
            }
            String secret = env.get("SANDBOX0_OIDC_" + id.toUpperCase(java.util.Locale.ROOT).replace('-', '_')
                    + "_CLIENT_SECRET");
            if (secret == null || secret.isBlank()) {
                secret = entry.has("client-secret") ? text(entry, "client-secret", where) : null;
            }
            List<String> scopes = null;
            JsonNode scopeNode = entry.get("scopes");
            if (scopeNode != null && scopeNode.isArray()) {
                scopes = new java.util.ArrayList<>();
                for (JsonNode scope : scopeNode) {
                    scopes.add(scope.asText().strip());
                }
            } else if (scopeNode != null && scopeNode.isValueNode()) {
                scopes = List.of(scopeNode.asText().strip().split("[\\s,]+"));
            }
            String autoProvision = entry.has("auto-provision") ? text(entry, "auto-provision", where) : null;
            String device = entry.has("device-authorization-endpoint")
                    ? text(entry, "device-authorization-endpoint", where) : null;
            try {
                providers.add(new ServerConfig.OidcProvider(id, entry.has("name") ? text(entry, "name", where) : null,
                        webUrl(where + " issuer", issuer), text(entry, "client-id", where), secret, scopes,
                        autoProvision == null ? null : bool(where + " auto-provision", autoProvision),
                        device == null ? null : webUrl(where + " device-authorization-endpoint", device)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().startsWith(OIDC_PROVIDERS) ? e.getMessage()
                        : where + ": " + e.getMessage(), e);
            }
        }
        if (providers.stream().map(ServerConfig.OidcProvider::id).distinct().count() != providers.size()) {
            throw new IllegalArgumentException(OIDC_PROVIDERS + ": provider ids must be unique");
        }
        return List.copyOf(providers);
    }

    /** A required (when {@code where} is not null) single-value setting of a provider, trimmed. */
    private static String text(JsonNode entry, String key, String where) {
        JsonNode value = entry.get(key);
        if (value == null || value.isNull() || (value.isValueNode() && value.asText().isBlank())) {
            if (where == null) {
                return null;
            }
            throw new IllegalArgumentException(where + ": " + key + " is required");
        }
        if (!value.isValueNode()) {
            throw new IllegalArgumentException((where == null ? OIDC_PROVIDERS : where) + ": '" + key
                    + "' must be a single value");
        }
        return value.asText().strip();
    }

    private static URI webUrl(String name, String value) {
        try {
            URI uri = new URI(value);
            if (uri.getHost() != null && ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))) {
                return uri;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be an http(s) URL, got '" + value + "'");
    }

    private static ServerConfig.Identity identity(Map<String, String> flags, Map<String, String> env,
            Map<String, String> file) {
        String email = pick("admin-email", flags, env, file);
        if (email != null && !ServerConfig.Identity.isEmail(email.strip())) {
            throw new IllegalArgumentException("admin-email must be an email address, got '" + email + "'");
        }
        String password = env.get(ADMIN_PASSWORD_ENV);
        if (password != null && password.codePointCount(0, password.length()) < 8) {
            throw new IllegalArgumentException(ADMIN_PASSWORD_ENV + " must be at least 8 characters");
        }
        String registration = pick("registration", flags, env, file);
        boolean open = registration != null && bool("registration", registration);
        return new ServerConfig.Identity(email == null ? ServerConfig.Identity.DEFAULT_ADMIN_EMAIL : email.strip(),
                password == null || password.isEmpty() ? null : password, open);
    }

    /** {@code blob-store}: {@code local} (the default) or {@code s3://bucket[/prefix]} with the {@code s3-*} settings. */
    private static BlobStorage blobStorage(Function<String, String> setting) {
        String store = setting.apply("blob-store");
        if (store == null || store.strip().equals("local")) {
            for (String name : S3_SETTINGS) {
                if (setting.apply(name) != null) {
                    throw new IllegalArgumentException(name + " is set but blob-store is not an S3 bucket"
                            + " (set blob-store to s3://BUCKET[/PREFIX])");
                }
            }
            return new BlobStorage.Local();
        }
        if (!store.strip().startsWith("s3://")) {
            throw new IllegalArgumentException("blob-store must be local or s3://BUCKET[/PREFIX], got '" + store + "'");
        }
        BlobStorage.S3 s3 = BlobStorage.S3.parse(store);
        String endpoint = setting.apply("s3-endpoint");
        if (endpoint != null) {
            URI uri;
            try {
                uri = new URI(endpoint.strip());
            } catch (URISyntaxException e) {
                uri = null;
            }
            if (uri == null || uri.getHost() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                throw new IllegalArgumentException("s3-endpoint must be an http(s) URL such as https://s3.example.com:9000,"
                        + " got '" + endpoint + "'");
            }
            s3 = s3.withEndpoint(uri);
        }
        String s3Region = setting.apply("s3-region");
        if (s3Region != null) {
            s3 = s3.withRegion(s3Region.strip());
        }
        String pathStyle = setting.apply("s3-path-style");
        if (pathStyle != null) {
            s3 = s3.withPathStyle(bool("s3-path-style", pathStyle));
        }
        String keyId = setting.apply("s3-access-key-id");
        String secret = setting.apply("s3-secret-access-key");
        if ((keyId == null) != (secret == null)) {
            throw new IllegalArgumentException("s3-access-key-id and s3-secret-access-key go together (or set neither:"
                    + " the AWS SDK's default chain, such as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, is used)");
        }
        return keyId == null ? s3 : s3.withCredentials(keyId.strip(), secret.strip());
    }

    private static boolean bool(String name, String value) {
        return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException(name + " must be true or false, got '" + value + "'");
        };
    }

    private static long logBytes(String value) {
        long bytes;
        try {
            bytes = Quantity.bytes(value.strip());
        } catch (RuntimeException e) {
            bytes = -1;
        }
        if (bytes < 4096) {
            throw new IllegalArgumentException("sandbox-log-size must be a size of at least 4Ki (e.g. 10Mi), got '"
                    + value + "'");
        }
        return bytes;
    }

    private static long volumePoolBytes(String value) {
        long bytes;
        try {
            bytes = Quantity.bytes(value.strip());
        } catch (RuntimeException e) {
            bytes = -1;
        }
        if (bytes < ServerConfig.Sandboxes.MIN_VOLUME_POOL_BYTES) {
            throw new IllegalArgumentException("volume-pool-size must be a size of at least 1Gi (e.g. 64Gi), got '"
                    + value + "'");
        }
        return bytes;
    }

    private static long uidBase(String value) {
        long base;
        try {
            base = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            base = -1;
        }
        if (base < 65536 || base > 0xFFFF_FFFEL) {
            throw new IllegalArgumentException("sandbox-uid-base must be a host uid from 65536 up (sandbox ids start"
                    + " there, 65536 per sandbox), got '" + value + "'");
        }
        return base;
    }

    private static long seconds(String name, String value) {
        try {
            long seconds = Long.parseLong(value.strip());
            if (seconds < 0) {
                throw new NumberFormatException();
            }
            return seconds;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number of seconds >= 0, got '" + value + "'");
        }
    }

    private static String pick(String name, Map<String, String> flags, Map<String, String> env, Map<String, String> file) {
        String flag = flags.get(name);
        if (flag != null) {
            return flag;
        }
        String fromEnv = env.get(ENVIRONMENT.get(name));
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        return file.get(name);
    }

    /** A typo in a config file must not silently fall back to a default: unknown keys are errors. */
    static ConfigFile readConfig(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("config file " + file + " does not exist");
        }
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("config file " + file + " is not valid YAML: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new ConfigFile(Map.of(), MissingNode.getInstance());
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("config file " + file + " must be a mapping of setting: value");
        }
        Set<String> known = new java.util.TreeSet<>(ENVIRONMENT.keySet());
        known.add(OIDC_PROVIDERS);
        var values = new HashMap<String, String>();
        JsonNode providers = MissingNode.getInstance();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            var entry = it.next();
            if (entry.getKey().equals(OIDC_PROVIDERS)) {
                providers = entry.getValue();
                continue;
            }
            if (!known.contains(entry.getKey())) {
                throw new IllegalArgumentException("config file " + file + ": unknown setting '" + entry.getKey()
                        + "' (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
            }
            if (!entry.getValue().isValueNode()) {
                throw new IllegalArgumentException("config file " + file + ": '" + entry.getKey() + "' must be a single value");
            }
            values.put(entry.getKey(), entry.getValue().asText());
        }
        return new ConfigFile(values, providers);
    }

    /** Comma-separated CIDRs, or {@code none}. */
    static java.util.List<String> privateRanges(String value) {
        String v = value.strip();
        if (v.equalsIgnoreCase("none") || v.isEmpty()) {
            return java.util.List.of();
        }
        return java.util.Arrays.stream(v.split(",")).map(String::strip).toList();
    }
}
