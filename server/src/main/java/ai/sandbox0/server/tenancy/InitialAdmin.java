package ai.sandbox0.server.tenancy;

import ai.sandbox0.server.DataDir;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.identity.PasswordHasher;
import ai.sandbox0.server.identity.TeamRecord;
import ai.sandbox0.server.identity.TeamStore;
import ai.sandbox0.server.identity.UserAccount;
import ai.sandbox0.server.identity.UserStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * First start of an installation: an admin user (a system administrator) with a password, a default team
 * and an admin API key. Secret files are written before the transaction commits, so a crash in between
 * only means the next start does it again (and overwrites them); a committed admin always has its key and
 * generated password on disk. An admin from before passwords existed gets one at the next start.
 */
public final class InitialAdmin {

    private static final String MARKER = "admin_user_id";

    /** What this start created and must show once; both empty on later starts. */
    public record Created(Optional<String> apiKey, Optional<String> generatedPassword) {

        @Override
        public String toString() {
            return "Created[<redacted>]";
        }
    }

    private final Jdbi jdbi;
    private final ApiKeyStore keys;
    private final UserStore users;
    private final TeamStore teams;
    private final PasswordHasher passwords;
    private final Clock clock;
    private final SecureRandom random;

    public InitialAdmin(Jdbi jdbi, ApiKeyStore keys, UserStore users, TeamStore teams, PasswordHasher passwords,
            Clock clock, SecureRandom random) {
        this.jdbi = jdbi;
        this.keys = keys;
        this.users = users;
        this.teams = teams;
        this.passwords = passwords;
        this.clock = clock;
        this.random = random;
    }

    /**
     * @param password the operator's choice for the first admin, or null to generate one (written to
     *     {@code passwordFile})
     */
    public Created ensure(String region, String email, String password, Path keyFile, Path passwordFile) {
        return jdbi.inTransaction(h -> {
            Optional<String> adminId = h.createQuery("SELECT value FROM installation WHERE name = :name")
                    .bind("name", MARKER).mapTo(String.class).findOne();
            if (adminId.isPresent()) {
                return new Created(Optional.empty(), givePassword(h, adminId.get(), password, passwordFile));
            }
            Instant now = clock.instant();
            String chosen = password != null ? password : generatePassword();
            var admin = new UserAccount(UUID.randomUUID().toString(), email, "Admin", null, false, true,
                    passwords.hash(chosen), now, now);
            users.insert(h, admin);
            var team = new TeamRecord(UUID.randomUUID().toString(), "Default", "default", admin.id(), region, now, now);
            teams.insert(h, team);
            teams.addMember(h, UUID.randomUUID().toString(), team.id(), admin.id(), Role.ADMIN, now);

            String token = ApiKeyToken.generate(region, random);
            Instant expires = NewApiKey.expiry("never", now).truncatedTo(ChronoUnit.SECONDS);
            var key = new ApiKey(UUID.randomUUID().toString(), ApiKeyToken.displayPrefix(token), "admin", team.id(),
                    admin.id(), admin.id(), ApiKeyScope.TEAM, List.of(Role.ADMIN), true, expires, null, 0, now, now);
            keys.insert(h, key, ApiKeyToken.digest(token));
            h.createUpdate("INSERT INTO installation (name, value) VALUES (:name, :value)")
                    .bind("name", MARKER).bind("value", admin.id()).execute();
            writeSecret(keyFile, token);
            if (password == null) {
                writeSecret(passwordFile, chosen);
            }
            return new Created(Optional.of(token), password == null ? Optional.of(chosen) : Optional.empty());
        });
    }

    /** An admin created before passwords existed gets one now; any other admin is left alone. */
    private Optional<String> givePassword(Handle h, String adminId, String password, Path passwordFile) {
        // A row with a null hash: the admin exists and has no password yet.
        Optional<String> missing = h.createQuery("SELECT COALESCE(password_hash, '') FROM users WHERE id = :id")
                .bind("id", adminId).mapTo(String.class).findOne().filter(String::isEmpty);
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        String chosen = password != null ? password : generatePassword();
        users.setPasswordHash(h, adminId, passwords.hash(chosen), clock.instant());
        if (password == null) {
            writeSecret(passwordFile, chosen);
            return Optional.of(chosen);
        }
        return Optional.empty();
    }

    /** 24 random bytes, URL-safe: about 190 bits, typeable. */
    private String generatePassword() {
        byte[] bytes = new byte[24];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static void writeSecret(Path file, String value) {
        try {
            DataDir.writeSecret(file, value + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
