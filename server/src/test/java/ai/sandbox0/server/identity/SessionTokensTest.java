package ai.sandbox0.server.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.auth.Role;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionTokensTest {

    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");
    private static final byte[] KEY = new byte[32];
    private static final UserAccount ADA = new UserAccount("u-1", "ada@example.com", "Ada", null, false, false, null,
            NOW, NOW);

    private static SessionTokens at(Instant now, byte[] key) {
        return new SessionTokens(key, "sandbox0/local", Duration.ofMinutes(15), Duration.ofDays(7),
                Clock.fixed(now, ZoneOffset.UTC), new SecureRandom());
    }

    @Test
    void accessTokensCarryUpstreamsClaimsUntilTheyExpire() {
        var pair = at(NOW, KEY).issue("s-1", ADA, List.of(new TeamGrant("t-1", Role.DEVELOPER, "local")));
        AccessClaims claims = at(NOW.plusSeconds(899), KEY).verifyAccess(pair.accessToken());
        assertThat(claims.userId()).isEqualTo("u-1");
        assertThat(claims.sessionId()).isEqualTo("s-1");
        assertThat(claims.grants()).containsExactly(new TeamGrant("t-1", Role.DEVELOPER, "local"));
        assertThat(claims.systemAdmin()).isFalse();

        assertThatThrownBy(() -> at(NOW.plusSeconds(900), KEY).verifyAccess(pair.accessToken()))
                .isInstanceOf(AuthenticationFailure.class).hasMessage("token expired");
    }

    @Test
    void anotherInstallationsKeyOrTheWrongKindOfTokenIsRefused() {
        var pair = at(NOW, KEY).issue("s-1", ADA, List.of());
        byte[] other = new byte[32];
        other[0] = 1;
        assertThatThrownBy(() -> at(NOW, other).verifyAccess(pair.accessToken()))
                .isInstanceOf(AuthenticationFailure.class).hasMessage("invalid token");
        assertThatThrownBy(() -> at(NOW, KEY).verifyAccess(pair.refreshToken()))
                .isInstanceOf(AuthenticationFailure.class).hasMessage("invalid token");
        assertThatThrownBy(() -> at(NOW, KEY).verifyRefresh(pair.accessToken()))
                .isInstanceOf(AuthenticationFailure.class).hasMessage("invalid refresh token");
        assertThat(at(NOW.plus(Duration.ofDays(6)), KEY).verifyRefresh(pair.refreshToken()).sessionId()).isEqualTo("s-1");
        assertThatThrownBy(() -> at(NOW.plus(Duration.ofDays(7)), KEY).verifyRefresh(pair.refreshToken()))
                .isInstanceOf(AuthenticationFailure.class);
    }

    @Test
    void twoRefreshTokensOfOneSecondDiffer() {
        var tokens = at(NOW, KEY);
        assertThat(tokens.issue("s-1", ADA, List.of()).refreshToken())
                .isNotEqualTo(tokens.issue("s-1", ADA, List.of()).refreshToken());
    }
}
