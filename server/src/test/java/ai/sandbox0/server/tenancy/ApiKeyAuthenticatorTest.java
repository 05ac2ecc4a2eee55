package ai.sandbox0.server.tenancy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.store.Database;
import ai.sandbox0.server.identity.PasswordHasher;
import ai.sandbox0.server.identity.TeamStore;
import ai.sandbox0.server.identity.UserStore;
import ai.sandbox0.server.store.TestDatabases;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** API-key authentication against the real SQLite store. */
@org.junit.jupiter.params.ParameterizedClass
@org.junit.jupiter.params.provider.EnumSource(TestDatabases.Kind.class)
class ApiKeyAuthenticatorTest {

    @org.junit.jupiter.params.Parameter
    TestDatabases.Kind storeKind;


    private static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");

    @TempDir
    Path dir;

    private Database database;
    private ApiKeyStore keys;
    private ApiKeyUsage usage;
    private String adminKey;
    private String teamId;

    @BeforeEach
    void setUp() {
        database = TestDatabases.open(storeKind, dir);
        keys = new ApiKeyStore(database.jdbi());
        usage = new ApiKeyUsage(keys, Duration.ofHours(1));
        adminKey = initialAdmin(Clock.fixed(NOW, ZoneOffset.UTC)).apiKey().orElseThrow();
        teamId = keys.findByDigest(ApiKeyToken.digest(adminKey)).orElseThrow().teamId();
    }

    @AfterEach
    void tearDown() {
        database.close();
    }

    private InitialAdmin.Created initialAdmin(Clock clock) {
        var random = new SecureRandom();
        return new InitialAdmin(database.jdbi(), keys, new UserStore(database.jdbi()), new TeamStore(database.jdbi()),
                new PasswordHasher(1024, 1, 1, random), clock, random)
                .ensure("local", "admin@localhost", null, dir.resolve("admin-api-key"), dir.resolve("admin-password"));
    }

    private ApiKeyAuthenticator at(Instant now) {
        return new ApiKeyAuthenticator(keys, usage, Clock.fixed(now, ZoneOffset.UTC));
    }

    private String insert(boolean active, Instant expires, ApiKeyScope scope, Role... roles) {
        String token = ApiKeyToken.generate("local", new SecureRandom());
        var key = new ApiKey(UUID.randomUUID().toString(), ApiKeyToken.displayPrefix(token), "k", teamId, null, "test",
                scope, List.of(roles), active, expires, null, 0, NOW, NOW);
        database.jdbi().useTransaction(h -> keys.insert(h, key, ApiKeyToken.digest(token)));
        return token;
    }

    @Test
    void aRemovedKeyStopsWorkingOnceTheLookupWindowHasPassed() throws Exception {
        String token = insert(true, NOW.plus(Duration.ofDays(1)), ApiKeyScope.TEAM, Role.VIEWER);
        ApiKeyAuthenticator authenticator = at(NOW);
        authenticator.authenticate("Bearer " + token, null);

        database.jdbi().useHandle(h -> h.createUpdate("DELETE FROM api_keys WHERE key_hash = :digest")
                .bind("digest", ApiKeyToken.digest(token)).execute());

        Instant deadline = Instant.now().plus(ApiKeyAuthenticator.CACHE_FOR.multipliedBy(5));
        Throwable failure = null;
        while (failure == null && Instant.now().isBefore(deadline)) {
            try {
                authenticator.authenticate("Bearer " + token, null);
                Thread.sleep(50);
            } catch (AuthenticationFailure e) {
                failure = e;
            }
        }
        assertThat(failure).as("the removed key was still accepted").isNotNull().hasMessage("invalid api key");
    }

    @Test
    void aKeyThatExpiresWhileRememberedIsRefusedAtOnce() {
        String token = insert(true, NOW.plusSeconds(30), ApiKeyScope.TEAM, Role.VIEWER);
        var now = new java.util.concurrent.atomic.AtomicReference<>(NOW);
        var clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        ApiKeyAuthenticator authenticator = new ApiKeyAuthenticator(keys, usage, clock);
        authenticator.authenticate("Bearer " + token, null);

        now.set(NOW.plusSeconds(31));
        assertThatThrownBy(() -> authenticator.authenticate("Bearer " + token, null))
                .isInstanceOf(AuthenticationFailure.class).hasMessage("api key has expired");
    }

    @Test
    void adminKeyAuthenticatesIntoItsTeamWithEveryPermission() {
        Principal principal = at(NOW).authenticate("Bearer " + adminKey, null);

        assertThat(principal.teamId()).isEqualTo(teamId);
        assertThat(principal.roles()).containsExactly(Role.ADMIN);
        assertThat(principal.permissions()).containsExactlyInAnyOrder(Permission.values());
        assertThat(at(NOW).authenticate("bearer  " + adminKey + " ", teamId).teamId()).isEqualTo(teamId);
    }

    @Test
    void viewerKeyGetsOnlyViewerPermissions() {
        String viewer = insert(true, NOW.plus(Duration.ofDays(1)), ApiKeyScope.TEAM, Role.VIEWER);

        Principal principal = at(NOW).authenticate("Bearer " + viewer, null);

        assertThat(principal.may(Permission.SANDBOX_READ)).isTrue();
        assertThat(principal.may(Permission.SANDBOX_CREATE)).isFalse();
        assertThat(principal.may(Permission.APIKEY_MANAGE)).isFalse();
    }

    @Test
    void usesAreCountedInMemoryAndWrittenByTheFlush() {
        String token = insert(true, NOW.plus(Duration.ofDays(1)), ApiKeyScope.TEAM, Role.VIEWER);
        String id = keys.findByDigest(ApiKeyToken.digest(token)).orElseThrow().id();
        at(NOW).authenticate("Bearer " + token, null);
        at(NOW.plusSeconds(5)).authenticate("Bearer " + token, null);
        at(NOW.plusSeconds(2)).authenticate("Bearer " + token, null);
        assertThatThrownBy(() -> at(NOW.plus(Duration.ofDays(2))).authenticate("Bearer " + token, null))
                .isInstanceOf(AuthenticationFailure.class);

        // Nothing reaches the store until a flush.
        assertThat(keys.findById(id).orElseThrow().usageCount()).isZero();
        assertThat(usage.flush()).isEqualTo(1);
        ApiKey stored = keys.findById(id).orElseThrow();
        assertThat(stored.usageCount()).isEqualTo(3);
        assertThat(stored.lastUsedAt()).isEqualTo(NOW.plusSeconds(5));

        assertThat(usage.flush()).as("nothing new to write").isZero();
        at(NOW.plusSeconds(1)).authenticate("Bearer " + token, null);
        usage.close();
        stored = keys.findById(id).orElseThrow();
        assertThat(stored.usageCount()).isEqualTo(4);
        assertThat(stored.lastUsedAt()).as("an earlier use never moves it back").isEqualTo(NOW.plusSeconds(5));
    }

    @Test
    void expiredKeyIsRefusedFromItsExpiryInstantOn() {
        Instant expiry = NOW.plus(Duration.ofHours(1));
        String token = insert(true, expiry, ApiKeyScope.TEAM, Role.DEVELOPER);

        assertThat(at(expiry.minusMillis(1)).authenticate("Bearer " + token, null).teamId()).isEqualTo(teamId);
        assertThatThrownBy(() -> at(expiry).authenticate("Bearer " + token, null))
                .isInstanceOf(AuthenticationFailure.class).hasMessage("api key has expired");
    }

    @Test
    void deactivatedKeyIsRefused() {
        String token = insert(false, NOW.plus(Duration.ofDays(1)), ApiKeyScope.TEAM, Role.DEVELOPER);

        assertThatThrownBy(() -> at(NOW).authenticate("Bearer " + token, null))
                .isInstanceOf(AuthenticationFailure.class).hasMessage("api key is deactivated");
    }

    @Test
    void teamKeyWithAnotherTeamHeaderIsRefused() {
        assertThatThrownBy(() -> at(NOW).authenticate("Bearer " + adminKey, "some-other-team"))
                .isInstanceOf(AuthenticationFailure.class).hasMessage("x-team-id does not match the api key's team");
    }

    @Test
    void platformKeyActsInTheTeamItNames() {
        String platform = insert(true, NOW.plus(Duration.ofDays(1)), ApiKeyScope.PLATFORM);

        Principal principal = at(NOW).authenticate("Bearer " + platform, "team-b");

        assertThat(principal.teamId()).isEqualTo("team-b");
        assertThat(principal.systemAdmin()).isTrue();
        assertThat(principal.may(Permission.QUOTA_WRITE)).isTrue();
    }

    @Test
    void missingAndMalformedHeaders() {
        assertThatThrownBy(() -> at(NOW).authenticate(null, null)).hasMessage("missing authorization header");
        assertThatThrownBy(() -> at(NOW).authenticate("  ", null)).hasMessage("missing authorization header");
        assertThatThrownBy(() -> at(NOW).authenticate(adminKey, null)).hasMessage("invalid authorization header format");
        assertThatThrownBy(() -> at(NOW).authenticate("Token " + adminKey, null)).hasMessage("invalid authorization header format");
        assertThatThrownBy(() -> at(NOW).authenticate("Bearer a b", null)).hasMessage("invalid authorization header format");
        assertThatThrownBy(() -> at(NOW).authenticate("Bearer " + adminKey.toUpperCase(), null)).hasMessage("invalid or expired token");
        assertThatThrownBy(() -> at(NOW).authenticate("Bearer " + adminKey + "0", null)).hasMessage("invalid api key");
    }

    @Test
    void onlyTheDigestIsStored() {
        String stored = database.jdbi().withHandle(h -> h.createQuery("SELECT key_hash || key_prefix FROM api_keys")
                .mapTo(String.class).list().toString());

        assertThat(stored).doesNotContain(adminKey).contains(ApiKeyToken.digest(adminKey));
        assertThat(ApiKeyToken.displayPrefix(adminKey)).hasSize(12);
    }

    @Test
    void secondEnsureOnTheSameStoreCreatesNothing() {
        var again = initialAdmin(Clock.systemUTC());

        assertThat(again.apiKey()).isEmpty();
        assertThat(again.generatedPassword()).isEmpty();
        int count = database.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM api_keys").mapTo(Integer.class).one());
        assertThat(count).isEqualTo(1);
    }
}
