package ai.sandbox0.server.service;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * Token buckets in Redis, shared by every server that uses the same Redis: each acquire is one Lua script
 * that reads the bucket, decides and writes it back atomically, timed by Redis's own clock (so servers whose
 * clocks differ still agree). A bucket's key expires when the bucket would be full again. Every call is
 * bounded by short timeouts; a Redis that cannot answer in time is {@link Unavailable}, never a stalled request.
 */
public final class RedisRateLimiter implements RateLimiter {

    private static final Logger LOG = LoggerFactory.getLogger(RedisRateLimiter.class);
    static final Duration TIMEOUT = Duration.ofMillis(200);
    /** After a connection failure, calls fail at once for this long rather than each waiting for a timeout. */
    static final Duration COOL_DOWN = Duration.ofSeconds(1);
    private static final String KEY_PREFIX = "s0:ratelimit:";
    private static final long SCALE = 1_000_000L;

    /**
     * KEYS[1]: the bucket; ARGV: the time one token takes and the bucket's size times that, in microseconds.
     * Stores the microsecond at which the bucket is full again; returns 0 when a token was taken, else the
     * microseconds until one is back.
     */
    static final String SCRIPT = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
            local interval = tonumber(ARGV[1])
            local tolerance = tonumber(ARGV[2])
            local stored = tonumber(redis.call('GET', KEYS[1]))
            local full = math.max(stored or now, now) + interval
            if full - now > tolerance then
              return full - now - tolerance
            end
            redis.call('SET', KEYS[1], string.format('%.0f', full), 'PX', math.ceil((full - now) / 1000))
            return 0
            """;
    private static final String SCRIPT_SHA = sha1(SCRIPT);

    private final Location location;
    private final RedisClient redis;
    private final AtomicLong coolDownUntil = new AtomicLong(System.nanoTime());
    private final AtomicBoolean down = new AtomicBoolean();

    /** @param url {@code redis[s]://[[user]:password@]host[:port][/database]} */
    public RedisRateLimiter(String url) {
        this(Location.parse(url), TIMEOUT, null);
    }

    /** @param tlsSockets for {@code rediss://}: null trusts what the JVM trusts (tests pass their own CA's) */
    RedisRateLimiter(Location location, Duration timeout, SSLSocketFactory tlsSockets) {
        this.location = location;
        int millis = Math.toIntExact(timeout.toMillis());
        var client = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis)
                .socketTimeoutMillis(millis)
                .ssl(location.tls())
                .database(location.database())
                .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
                .clientName("sandbox0-ratelimit");
        if (location.tls()) {
            // The certificate must name the host of the URL, as for HTTPS.
            var tlsParameters = new SSLParameters();
            tlsParameters.setEndpointIdentificationAlgorithm("HTTPS");
            client.sslParameters(tlsParameters);
            if (tlsSockets != null) {
                client.sslSocketFactory(tlsSockets);
            }
        }
        if (location.password() != null) {
            client.user(location.user()).password(location.password());
        }
        var pool = new ConnectionPoolConfig();
        // Requests arrive on virtual threads: enough connections for a busy proxy, and a short wait for one.
        pool.setMaxTotal(64);
        pool.setMaxIdle(64);
        pool.setMaxWait(timeout);
        pool.setBlockWhenExhausted(true);
        redis = RedisClient.builder()
                .hostAndPort(location.host(), location.port())
                .clientConfig(client.build())
                .poolConfig(pool)
                .build();
    }

    @Override
    public Decision acquire(String key, double rps, int burst) {
        TokenBucket.check(key, rps, burst);
        long interval = TokenBucket.interval(rps, SCALE);
        List<String> keys = List.of(KEY_PREFIX + key);
        List<String> args = List.of(Long.toString(interval), Long.toString(TokenBucket.tolerance(interval, burst)));
        if (System.nanoTime() - coolDownUntil.get() < 0) {
            return new Unavailable("rate limits in Redis at " + location + " are unavailable (retrying shortly)");
        }
        Object result;
        try {
            result = run(keys, args);
        } catch (JedisConnectionException first) {
            // A pooled connection may have died with a Redis restart: one more try on a fresh one.
            try {
                result = run(keys, args);
            } catch (JedisException e) {
                return failed(e);
            }
        } catch (JedisException e) {
            return failed(e);
        }
        if (down.compareAndSet(true, false)) {
            LOG.info("rate limits: Redis at {} answers again", location);
        }
        if (!(result instanceof Long wait) || wait < 0) {
            return failed(new JedisException("unexpected script reply"));
        }
        return wait == 0 ? Allowed.INSTANCE : new Refused(Duration.ofNanos(Math.multiplyExact(wait, 1000L)));
    }

    private Object run(List<String> keys, List<String> args) {
        try {
            return redis.evalsha(SCRIPT_SHA, keys, args);
        } catch (JedisNoScriptException e) {
            // A fresh or flushed Redis: EVAL runs the script and caches it for the next EVALSHA.
            return redis.eval(SCRIPT, keys, args);
        }
    }

    private Unavailable failed(JedisException e) {
        if (e instanceof JedisConnectionException) {
            coolDownUntil.set(System.nanoTime() + COOL_DOWN.toNanos());
        }
        String reason = "rate limits in Redis at " + location + " are unavailable: " + location.scrub(describe(e));
        if (down.compareAndSet(false, true)) {
            LOG.warn("{}; requests to rate-limited routes get 503 until it answers", reason);
        }
        return new Unavailable(reason);
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return root == e ? message : e.getClass().getSimpleName() + ": " + message;
    }

    @Override
    public void close() {
        redis.close();
    }

    @Override
    public String toString() {
        return "RedisRateLimiter[" + location + "]";
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Where the buckets are: {@code redis://} (or {@code rediss://} for TLS), an optional user and password,
     * host, port (default 6379) and database number (default 0). Its {@code toString} leaves out the
     * credentials; errors never repeat the URL, which may hold a password.
     */
    public record Location(boolean tls, String host, int port, String user, String password, int database) {

        public static Location parse(String url) {
            URI uri;
            try {
                uri = new URI(url.strip());
            } catch (URISyntaxException | NullPointerException e) {
                throw invalid("is not a URL");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("redis") && !scheme.equals("rediss")) {
                throw invalid("must start with redis:// or rediss://");
            }
            if (uri.getHost() == null) {
                throw invalid("has no host");
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw invalid("must not have a query or a fragment");
            }
            String path = uri.getPath() == null ? "" : uri.getPath();
            int database = 0;
            if (!path.isEmpty() && !path.equals("/")) {
                try {
                    database = Integer.parseInt(path.substring(1));
                } catch (NumberFormatException e) {
                    database = -1;
                }
                if (database < 0) {
                    throw invalid("path must be a database number such as /0");
                }
            }
            String user = null;
            String password = null;
            String info = uri.getUserInfo();
            if (info != null) {
                int colon = info.indexOf(':');
                if (colon < 0) {
                    throw invalid("names a user without a password (write redis://:PASSWORD@host or"
                            + " redis://USER:PASSWORD@host)");
                }
                user = colon == 0 ? null : info.substring(0, colon);
                password = info.substring(colon + 1);
            }
            return new Location(scheme.equals("rediss"), uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort(),
                    user, password, database);
        }

        private static IllegalArgumentException invalid(String problem) {
            return new IllegalArgumentException("the rate limit Redis URL " + problem
                    + " (redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB])");
        }

        /** {@code text} with this location's password blotted out, should a library have quoted it. */
        String scrub(String text) {
            return password == null || password.isEmpty() ? text : text.replace(password, "<redacted>");
        }

        @Override
        public String toString() {
            String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
            return (tls ? "rediss://" : "redis://") + h + ":" + port + "/" + database;
        }
    }
}
