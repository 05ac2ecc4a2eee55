package ai.sandbox0.server.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.server.MutableClock;
import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.store.Database;
import ai.sandbox0.server.store.TestDatabases;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionAuthenticatorTest {

    @TempDir
    Path dir;

    private Database database;

    @BeforeEach
    void open() {
        database = TestDatabases.open(TestDatabases.Kind.SQLITE, dir);
    }

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void aTokenSeenBeforeStillExpiresOnTime() {
        var clock = new MutableClock(Instant.now());
        var random = new SecureRandom();
        var users = new UserStore(database.jdbi());
        var user = new UserAccount("u-1", "ada@example.com", "Ada", null, false, false, null, clock.instant(), clock.instant());
        database.jdbi().useTransaction(h -> users.insert(h, user));
        var tokens = new SessionTokens(new byte[32], "sandbox0/local", Duration.ofMinutes(15), Duration.ofDays(7), clock,
                random);
        var sessions = new SessionStore(database.jdbi());
        var authenticator = new SessionAuthenticator(tokens, sessions, new TeamStore(database.jdbi()), clock);
        var pair = tokens.issue("s-1", user, List.of());
        sessions.create("s-1", "u-1", "0".repeat(64), clock.instant(), pair.refreshExpiresAt());

        assertThat(authenticator.authenticate("Bearer " + pair.accessToken(), null).userId()).isEqualTo("u-1");
        clock.advance(Duration.ofMinutes(14));
        assertThat(authenticator.authenticate("Bearer " + pair.accessToken(), null).userId()).isEqualTo("u-1");
        clock.advance(Duration.ofMinutes(1));
        assertThatThrownBy(() -> authenticator.authenticate("Bearer " + pair.accessToken(), null))
                .isInstanceOf(AuthenticationFailure.class).hasMessage("token expired");
    }
}
