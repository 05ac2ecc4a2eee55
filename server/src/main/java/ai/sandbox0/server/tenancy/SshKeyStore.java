package ai.sandbox0.server.tenancy;

import ai.sandbox0.api.tenancy.SshPublicKey;
import java.security.PublicKey;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Users' SSH public keys. The SSH gateway knows a user by the key they present, so a key (its fingerprint)
 * belongs to at most one user in the installation.
 */
public final class SshKeyStore {

    public static final int MAX_PER_USER = 100;

    private static final String COLUMNS = "id, user_id, name, key_type, public_key, fingerprint, comment, created_at,"
            + " updated_at";

    /** What {@link #add} did. */
    public sealed interface Added {
        record Created(SshPublicKey key) implements Added {
        }

        /** The user registered this key before. */
        record AlreadyYours(SshPublicKey existing) implements Added {
        }

        /** Another user holds the key; who stays unsaid. */
        record HeldByAnotherUser() implements Added {
        }

        record LimitReached(int limit) implements Added {
        }
    }

    private final Jdbi jdbi;
    // The checks and the insert run under it: one server drives a store, so this makes them atomic.
    private final ReentrantLock adding = new ReentrantLock();

    public SshKeyStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** The user's keys, oldest first. */
    public List<SshPublicKey> list(String userId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM ssh_public_keys WHERE user_id = :user"
                        + " ORDER BY created_at, id")
                .bind("user", userId).map(SshKeyStore::map).list());
    }

    public Added add(String userId, String name, OpenSshPublicKey key, Instant now) {
        adding.lock();
        try {
            return jdbi.inTransaction(h -> {
                Optional<Row> holder = byFingerprint(h, key.fingerprintSha256());
                if (holder.isPresent()) {
                    return holder.get().userId().equals(userId) ? new Added.AlreadyYours(holder.get().key())
                            : new Added.HeldByAnotherUser();
                }
                int count = h.createQuery("SELECT COUNT(*) FROM ssh_public_keys WHERE user_id = :user")
                        .bind("user", userId).mapTo(Integer.class).one();
                if (count >= MAX_PER_USER) {
                    return new Added.LimitReached(MAX_PER_USER);
                }
                Instant at = Instant.ofEpochMilli(now.toEpochMilli());
                var created = new SshPublicKey(UUID.randomUUID().toString(), name, key.line(), key.keyType(),
                        key.fingerprintSha256(), key.comment(), at, at);
                h.createUpdate("INSERT INTO ssh_public_keys (" + COLUMNS + ") VALUES (:id, :user, :name, :type, :line,"
                                + " :fingerprint, :comment, :at, :at)")
                        .bind("id", created.id()).bind("user", userId).bind("name", name)
                        .bind("type", created.keyType()).bind("line", created.publicKey())
                        .bind("fingerprint", created.fingerprintSha256()).bind("comment", created.comment())
                        .bind("at", at.toEpochMilli())
                        .execute();
                return new Added.Created(created);
            });
        } finally {
            adding.unlock();
        }
    }

    /** Deletes the user's key; false when the user has no key with that id (another user's included). */
    public boolean delete(String userId, String id) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM ssh_public_keys WHERE id = :id AND user_id = :user")
                .bind("id", id).bind("user", userId).execute()) > 0;
    }

    /** The user who registered the key with this fingerprint ({@code SHA256:…}). */
    public Optional<String> userIdByFingerprint(String fingerprintSha256) {
        return jdbi.withHandle(h -> byFingerprint(h, fingerprintSha256)).map(Row::userId);
    }

    /** The user a key presented at the SSH gateway belongs to. */
    public Optional<String> userIdFor(PublicKey presented) {
        return userIdByFingerprint(OpenSshPublicKey.fingerprint(presented));
    }

    private record Row(String userId, SshPublicKey key) {
    }

    private static Optional<Row> byFingerprint(Handle h, String fingerprint) {
        return h.createQuery("SELECT " + COLUMNS + " FROM ssh_public_keys WHERE fingerprint = :fingerprint")
                .bind("fingerprint", fingerprint)
                .map((rs, ctx) -> new Row(rs.getString("user_id"), map(rs, ctx)))
                .findOne();
    }

    private static SshPublicKey map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new SshPublicKey(
                rs.getString("id"),
                rs.getString("name"),
                rs.getString("public_key"),
                rs.getString("key_type"),
                rs.getString("fingerprint"),
                rs.getString("comment"),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")));
    }
}
