package ai.sandbox0.server.tenancy;

import ai.sandbox0.server.DataDir;
import ai.sandbox0.server.auth.Role;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * First start of a data dir: an admin user, a default team and an admin API key. The key file is
 * written before the transaction commits, so a crash in between only means the next start does it
 * again (and overwrites the file); a committed admin always has its key on disk.
 */
public final class InitialAdmin {

    public static final String ADMIN_EMAIL = "admin@sandbox0.local";
    private static final String MARKER = "admin_user_id";

    private final Jdbi jdbi;
    private final ApiKeyStore keys;
    private final Clock clock;
    private final SecureRandom random;

    public InitialAdmin(Jdbi jdbi, ApiKeyStore keys, Clock clock, SecureRandom random) {
        this.jdbi = jdbi;
        this.keys = keys;
        this.clock = clock;
        this.random = random;
    }

    /** Returns the new admin key when this call created it; empty when the data dir was set up before. */
    public Optional<String> ensure(String region, Path keyFile) {
        return jdbi.inTransaction(h -> {
            boolean done = h.createQuery("SELECT COUNT(*) FROM installation WHERE name = :name")
                    .bind("name", MARKER).mapTo(Integer.class).one() > 0;
            if (done) {
                return Optional.empty();
            }
            long now = clock.millis();
            String userId = UUID.randomUUID().toString();
            String teamId = UUID.randomUUID().toString();
            h.createUpdate("INSERT INTO users (id, email, name, is_admin, created_at, updated_at)"
                            + " VALUES (:id, :email, 'Admin', TRUE, :now, :now)")
                    .bind("id", userId).bind("email", ADMIN_EMAIL).bind("now", now).execute();
            h.createUpdate("INSERT INTO teams (id, name, slug, owner_id, home_region_id, created_at, updated_at)"
                            + " VALUES (:id, 'Default', 'default', :owner, :region, :now, :now)")
                    .bind("id", teamId).bind("owner", userId).bind("region", region).bind("now", now).execute();
            h.createUpdate("INSERT INTO team_members (team_id, user_id, role, joined_at) VALUES (:team, :user, :role, :now)")
                    .bind("team", teamId).bind("user", userId).bind("role", Role.ADMIN.wire()).bind("now", now).execute();

            String token = ApiKeyToken.generate(region, random);
            Instant created = Instant.ofEpochMilli(now);
            // Upstream's "never" is about a century.
            Instant expires = created.atZone(java.time.ZoneOffset.UTC).plusYears(100).toInstant().truncatedTo(ChronoUnit.SECONDS);
            var key = new ApiKey(UUID.randomUUID().toString(), ApiKeyToken.displayPrefix(token), "admin", teamId, userId,
                    userId, ApiKeyScope.TEAM, List.of(Role.ADMIN), true, expires, null, 0, created, created);
            keys.insert(h, key, ApiKeyToken.digest(token));
            h.createUpdate("INSERT INTO installation (name, value) VALUES (:name, :value)")
                    .bind("name", MARKER).bind("value", userId).execute();
            try {
                DataDir.writeSecret(keyFile, token + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + keyFile + ": " + e.getMessage(), e);
            }
            return Optional.of(token);
        });
    }
}
