package ai.sandbox0.server.tenancy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.tenancy.CreateApiKeyRequest;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.http.ApiException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The rules of {@code POST /api-keys} that the HTTP tests cannot reach: with upstream's roles only admins
 * manage keys, and an admin may grant every role, so "more than the caller may do" needs a caller the
 * route table would not admit.
 */
class NewApiKeyTest {

    private static final Instant NOW = Instant.parse("2026-01-31T10:00:00Z");

    private static Principal session(boolean systemAdmin, Role... roles) {
        return new Principal("team-1", "user-1", null, "session-1", Set.of(roles), systemAdmin);
    }

    private static ApiException refusal(CreateApiKeyRequest request, Principal caller) {
        try {
            NewApiKey.of(request, caller, NOW);
        } catch (ApiException e) {
            return e;
        }
        throw new AssertionError("accepted: " + request);
    }

    @Test
    void rolesBeyondTheCallersPermissionsAre403() {
        ApiException refused = refusal(new CreateApiKeyRequest("k", null, List.of("viewer", "admin"), null),
                session(false, Role.DEVELOPER));
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused).hasMessageContaining("outside the caller's permissions");
        // Builder's registry:write and template:read are both a developer's: grantable.
        assertThat(NewApiKey.of(new CreateApiKeyRequest("k", null, List.of("builder", "viewer"), null),
                session(false, Role.DEVELOPER), NOW).roles()).containsExactly(Role.BUILDER, Role.VIEWER);
        assertThat(NewApiKey.of(new CreateApiKeyRequest("k", null, List.of("admin"), null), session(true), NOW).roles())
                .containsExactly(Role.ADMIN);
    }

    @Test
    void platformKeysNeedASystemAdminSession() {
        var platform = new CreateApiKeyRequest("p", "platform", null, null);
        assertThat(refusal(platform, session(false, Role.ADMIN)).status()).isEqualTo(403);
        var platformKey = new Principal("team-1", null, "key-1", null, Set.of(), true);
        assertThat(refusal(platform, platformKey).status()).isEqualTo(403);
        NewApiKey key = NewApiKey.of(platform, session(true), NOW);
        assertThat(key.scope()).isEqualTo(ApiKeyScope.PLATFORM);
        assertThat(key.roles()).isEmpty();
    }

    @Test
    void lifetimesAreCalendarDaysInUtc() {
        assertThat(NewApiKey.expiry(null, NOW)).isEqualTo(Instant.parse("2026-05-01T10:00:00Z"));
        assertThat(NewApiKey.expiry(" 30d ", NOW)).isEqualTo(Instant.parse("2026-03-02T10:00:00Z"));
        assertThat(NewApiKey.expiry("180d", NOW)).isEqualTo(Instant.parse("2026-07-30T10:00:00Z"));
        assertThat(NewApiKey.expiry("365d", NOW)).isEqualTo(Instant.parse("2027-01-31T10:00:00Z"));
        assertThat(NewApiKey.expiry("never", NOW)).isEqualTo(Instant.parse("2126-01-31T10:00:00Z"));
        assertThatThrownBy(() -> NewApiKey.expiry("1y", NOW)).hasMessageContaining("unsupported expires_in '1y'");
        assertThatThrownBy(() -> NewApiKey.expiry("x".repeat(500), NOW)).hasMessageNotContaining("x".repeat(100));
    }
}
