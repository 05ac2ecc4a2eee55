package ai.sandbox0.server.identity;

import java.time.Instant;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Logins in the store. A session holds the digest of its one valid refresh token; refreshing swaps it
 * with a compare-and-set, so of two concurrent refreshes with one token exactly one wins, and a token
 * presented again after it was used revokes the whole session (it was copied).
 */
public final class SessionStore {

    /** What became of a refresh attempt. */
    public enum Rotation { ROTATED, REUSED, INVALID }

    private final Jdbi jdbi;

    public SessionStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public void create(String id, String userId, String refreshDigest, Instant now, Instant expiresAt) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO auth_sessions (id, user_id, refresh_digest, created_at,"
                        + " refreshed_at, expires_at) VALUES (:id, :user, :digest, :now, :now, :expires)")
                .bind("id", id).bind("user", userId).bind("digest", refreshDigest)
                .bind("now", now.toEpochMilli()).bind("expires", expiresAt.toEpochMilli())
                .execute());
    }

    public Rotation rotate(String id, String userId, String presentedDigest, String nextDigest, Instant now,
            Instant expiresAt) {
        return jdbi.inTransaction(h -> {
            int swapped = h.createUpdate("UPDATE auth_sessions SET refresh_digest = :next, refreshed_at = :now,"
                            + " expires_at = :expires WHERE id = :id AND user_id = :user AND refresh_digest = :presented"
                            + " AND revoked_at IS NULL AND expires_at > :now")
                    .bind("id", id).bind("user", userId).bind("presented", presentedDigest).bind("next", nextDigest)
                    .bind("now", now.toEpochMilli()).bind("expires", expiresAt.toEpochMilli())
                    .execute();
            if (swapped == 1) {
                return Rotation.ROTATED;
            }
            int revoked = h.createUpdate("UPDATE auth_sessions SET revoked_at = :now WHERE id = :id AND user_id = :user"
                            + " AND revoked_at IS NULL AND refresh_digest <> :presented")
                    .bind("id", id).bind("user", userId).bind("presented", presentedDigest)
                    .bind("now", now.toEpochMilli()).execute();
            return revoked == 1 ? Rotation.REUSED : Rotation.INVALID;
        });
    }

    /** Whether access tokens of this session still count: not revoked, not past its refresh expiry. */
    public boolean active(String id, Instant now) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM auth_sessions WHERE id = :id"
                        + " AND revoked_at IS NULL AND expires_at > :now")
                .bind("id", id).bind("now", now.toEpochMilli()).mapTo(Integer.class).one() > 0);
    }

    public void revoke(String id, Instant now) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE auth_sessions SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")
                .bind("id", id).bind("now", now.toEpochMilli()).execute());
    }

    /** Ends every session of the user but {@code keep} (may be null): after a password change. */
    public void revokeAllOf(String userId, String keep, Instant now) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE auth_sessions SET revoked_at = :now WHERE user_id = :user"
                        + " AND revoked_at IS NULL AND id <> :keep")
                .bind("user", userId).bind("keep", Optional.ofNullable(keep).orElse("")).bind("now", now.toEpochMilli())
                .execute());
    }

    /** Drops sessions that ended more than a day ago; they can no longer be used for anything. */
    public int purgeEnded(Instant now) {
        long cutoff = now.minusSeconds(86_400).toEpochMilli();
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM auth_sessions WHERE expires_at < :cutoff"
                        + " OR (revoked_at IS NOT NULL AND revoked_at < :cutoff)")
                .bind("cutoff", cutoff).execute());
    }
}
