package ai.sandbox0.server.identity.oidc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/** Device logins in the store, so a restart does not break the ones under way. */
public final class DeviceLoginStore {

    private final Jdbi jdbi;

    public DeviceLoginStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public void create(DeviceLogin login) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO device_logins (id, provider, device_code, user_code,"
                        + " verification_uri, verification_uri_complete, interval_seconds, expires_at, created_at)"
                        + " VALUES (:id, :provider, :deviceCode, :userCode, :uri, :uriComplete, :interval, :expires,"
                        + " :created)")
                .bind("id", login.id()).bind("provider", login.provider()).bind("deviceCode", login.deviceCode())
                .bind("userCode", login.userCode()).bind("uri", login.verificationUri())
                .bind("uriComplete", login.verificationUriComplete()).bind("interval", login.intervalSeconds())
                .bind("expires", login.expiresAt().toEpochMilli()).bind("created", login.createdAt().toEpochMilli())
                .execute());
    }

    public Optional<DeviceLogin> find(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT * FROM device_logins WHERE id = :id")
                .bind("id", id).map(DeviceLoginStore::map).findOne());
    }

    /** The provider asked for slower polling: the new interval holds for the rest of the login. */
    public void slowDown(String id, int intervalSeconds) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE device_logins SET interval_seconds = :interval WHERE id = :id")
                .bind("id", id).bind("interval", intervalSeconds).execute());
    }

    /** Marks the login completed; false when it already was (or has expired): it completes once. */
    public boolean consume(String id, Instant now) {
        return jdbi.withHandle(h -> h.createUpdate("UPDATE device_logins SET consumed_at = :now WHERE id = :id"
                        + " AND consumed_at IS NULL AND expires_at > :now")
                .bind("id", id).bind("now", now.toEpochMilli()).execute() == 1);
    }

    /** Drops logins that ended more than a day ago. */
    public int purgeEnded(Instant now) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM device_logins WHERE expires_at < :cutoff")
                .bind("cutoff", now.minusSeconds(86_400).toEpochMilli()).execute());
    }

    private static DeviceLogin map(ResultSet rs, StatementContext ctx) throws SQLException {
        long consumed = rs.getLong("consumed_at");
        Instant consumedAt = rs.wasNull() ? null : Instant.ofEpochMilli(consumed);
        return new DeviceLogin(rs.getString("id"), rs.getString("provider"), rs.getString("device_code"),
                rs.getString("user_code"), rs.getString("verification_uri"), rs.getString("verification_uri_complete"),
                rs.getInt("interval_seconds"), Instant.ofEpochMilli(rs.getLong("expires_at")), consumedAt,
                Instant.ofEpochMilli(rs.getLong("created_at")));
    }
}
