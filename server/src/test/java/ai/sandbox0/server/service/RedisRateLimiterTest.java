package ai.sandbox0.server.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.server.service.RateLimiter.Allowed;
import ai.sandbox0.server.service.RateLimiter.Decision;
import ai.sandbox0.server.service.RateLimiter.Refused;
import ai.sandbox0.server.service.RateLimiter.Unavailable;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.RedisClient;

/** The same contract on a real redis-server, plus what only a shared, remote store has. */
class RedisRateLimiterTest extends RateLimiterContract {

    private static final String PASSWORD = "rl-secret-7f3a";
    private static RedisServer redis;
    private static RedisRateLimiter limiter;

    @BeforeAll
    static void up() throws Exception {
        redis = RedisServer.start(PASSWORD);
        limiter = new RedisRateLimiter(redis.url());
    }

    @AfterAll
    static void down() throws Exception {
        if (limiter != null) {
            limiter.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    RateLimiter limiter() {
        return limiter;
    }

    @Test
    void serversOnTheSameRedisShareBuckets() {
        String key = freshKey();
        try (var other = new RedisRateLimiter(redis.url())) {
            var decisions = new ArrayList<Decision>();
            for (int i = 0; i < 3; i++) {
                decisions.add(limiter.acquire(key, 0.1, 3));
                decisions.add(other.acquire(key, 0.1, 3));
            }
            assertThat(decisions.stream().filter(Allowed.class::isInstance)).hasSize(3);
            assertThat(decisions.subList(3, 6)).allMatch(Refused.class::isInstance);
        }
    }

    @Test
    void aBucketsKeyExpiresWhenTheBucketWouldBeFull() throws Exception {
        String key = freshKey();
        limiter.acquire(key, 0.5, 3);
        try (var direct = RedisClient.create(java.net.URI.create(redis.url()))) {
            // One token taken at 0.5 per second: full again within 2 s, and the key lives no longer.
            long ttl = direct.pttl("s0:ratelimit:" + key);
            assertThat(ttl).isPositive().isLessThanOrEqualTo(2000);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (direct.exists("s0:ratelimit:" + key) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(direct.exists("s0:ratelimit:" + key)).isFalse();
        }
        // And a bucket without a key is a full one.
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.acquire(key, 0.5, 3)).isInstanceOf(Allowed.class);
        }
    }

    @Test
    void aRedisThatIsDownIsUnavailableNotARefusalAndRecovers() throws Exception {
        var logs = capture();
        try (var own = new RedisRateLimiter(redis.url())) {
            String key = freshKey();
            assertThat(own.acquire(key, 1, 5)).isInstanceOf(Allowed.class);
            redis.stop();
            try {
                Decision down = own.acquire(key, 1, 5);
                assertThat(down).isInstanceOf(Unavailable.class);
                assertThat(((Unavailable) down).reason()).contains("127.0.0.1:" + redis.port()).doesNotContain(PASSWORD);
                // Within the cool-down, calls fail at once without trying.
                assertThat(own.acquire(key, 1, 5)).isInstanceOf(Unavailable.class);
            } finally {
                redis.start();
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            Decision back = own.acquire(key, 1, 5);
            while (back instanceof Unavailable && System.nanoTime() < deadline) {
                Thread.sleep(100);
                back = own.acquire(key, 1, 5);
            }
            assertThat(back).isInstanceOf(Allowed.class);
        } finally {
            detach(logs);
        }
        assertThat(logs.list).anyMatch(e -> e.getFormattedMessage().contains("unavailable"));
        assertThat(logs.list).noneMatch(e -> e.getFormattedMessage().contains(PASSWORD));
    }

    @Test
    void aRedisThatDoesNotAnswerIsUnavailableAfterAShortTimeout() throws Exception {
        // Accepts connections and never says a word: a hung Redis.
        try (var silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            var accepted = new ArrayList<Socket>();
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (java.io.IOException e) {
                    // closed
                }
            });
            try (var hung = new RedisRateLimiter("redis://:" + PASSWORD + "@127.0.0.1:" + silent.getLocalPort())) {
                Decision decision = hung.acquire(freshKey(), 1, 1);
                assertThat(decision).isInstanceOf(Unavailable.class);
                assertThat(((Unavailable) decision).reason()).doesNotContain(PASSWORD);
            } finally {
                silent.close();
                acceptor.join();
                for (Socket s : accepted) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aWrongPasswordIsUnavailableAndNotRepeated() {
        try (var wrong = new RedisRateLimiter("redis://:not-the-" + PASSWORD + "@127.0.0.1:" + redis.port())) {
            Decision decision = wrong.acquire(freshKey(), 1, 1);
            assertThat(decision).isInstanceOf(Unavailable.class);
            assertThat(((Unavailable) decision).reason()).doesNotContain(PASSWORD);
        }
    }

    @Test
    void theUrlIsCheckedAndItsPasswordNeverShown() {
        var location = RedisRateLimiter.Location.parse("rediss://user:" + PASSWORD + "@cache.example.com:6380/2");
        assertThat(location.tls()).isTrue();
        assertThat(location.user()).isEqualTo("user");
        assertThat(location.password()).isEqualTo(PASSWORD);
        assertThat(location.database()).isEqualTo(2);
        assertThat(location.toString()).isEqualTo("rediss://cache.example.com:6380/2");
        assertThat(RedisRateLimiter.Location.parse("redis://localhost").port()).isEqualTo(6379);
        for (String bad : List.of("http://:" + PASSWORD + "@h:1", "redis://:" + PASSWORD + "@h:1/x",
                PASSWORD + "@h", "redis://:" + PASSWORD + "@h:1/0?x=1", "redis://" + PASSWORD + "@h:1")) {
            assertThatThrownBy(() -> RedisRateLimiter.Location.parse(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
        }
        try (var limiter = new RedisRateLimiter("redis://:" + PASSWORD + "@127.0.0.1:" + redis.port())) {
            assertThat(limiter.toString()).doesNotContain(PASSWORD);
        }
    }

    @Test
    void overTlsTheCertificateMustBeTrustedAndNameTheHost() throws Exception {
        var ca = TestCertificates.authority("Redis Test CA");
        var leaf = TestCertificates.leaf(ca, "EC", "localhost", false, "localhost");
        String chainPem = TestCertificates.pem(leaf.certificate(), ca.certificate());
        try (var secure = RedisServer.start(PASSWORD, chainPem, TestCertificates.pem(leaf.keys().getPrivate()))) {
            var trusting = ca.trustingContext().getSocketFactory();
            String byName = "rediss://:" + PASSWORD + "@localhost:" + secure.port();
            try (var trusted = new RedisRateLimiter(RedisRateLimiter.Location.parse(byName), RedisRateLimiter.TIMEOUT,
                    trusting)) {
                assertThat(trusted.acquire(freshKey(), 1, 1)).isInstanceOf(Allowed.class);
            }
            // The JVM's trust store does not know the test CA.
            try (var untrusted = new RedisRateLimiter(byName)) {
                assertThat(untrusted.acquire(freshKey(), 1, 1)).isInstanceOf(Unavailable.class);
            }
            // Trusted, but not a certificate for the host the URL names (127.0.0.1).
            var location = RedisRateLimiter.Location.parse(secure.url());
            try (var wrongHost = new RedisRateLimiter(location, RedisRateLimiter.TIMEOUT, trusting)) {
                assertThat(wrongHost.acquire(freshKey(), 1, 1)).isInstanceOf(Unavailable.class);
            }
        }
    }

    private static ListAppender<ILoggingEvent> capture() {
        var appender = new ListAppender<ILoggingEvent>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(RedisRateLimiter.class)).addAppender(appender);
        return appender;
    }

    private static void detach(ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger(RedisRateLimiter.class)).detachAppender(appender);
    }
}
