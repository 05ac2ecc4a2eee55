package ai.sandbox0.server.credential;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.credential.CredentialSourceMetadata;
import ai.sandbox0.api.credential.CredentialSourceResolverKind;
import ai.sandbox0.server.store.Database;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Credential sources of every team, and their versions. Each write adds a version row that is never changed:
 * its material sealed by the {@link CredentialCipher} for that very row (team, source, version, storage and
 * resolver kind), so the store alone reveals no secret and a ciphertext moved to another row does not open.
 */
public final class CredentialSourceStore {

    /** Upstream's name for material encrypted in the database (kept on SQLite too). */
    public static final String ENCRYPTED_PG = "encrypted_pg";
    /** The status every source has: upstream has no other yet. */
    private static final String ACTIVE = "active";
    private static final String COLUMNS = "id, team_id, name, resolver_kind, current_version, created_at, updated_at";
    private static final TypeReference<Map<String, String>> VALUES = new TypeReference<>() {
    };

    /** A source as stored: its metadata and the version a binding made now would pin. */
    public record Source(String id, String teamId, String name, CredentialSourceResolverKind kind,
            long currentVersion, Instant createdAt, Instant updatedAt) {

        public CredentialSourceMetadata metadata() {
            return new CredentialSourceMetadata(name, kind, currentVersion, ACTIVE, createdAt, updatedAt);
        }
    }

    /** What {@link #delete} did. */
    public sealed interface Deletion {
        /** Gone, or never there. */
        record Deleted() implements Deletion {
        }

        /** A sandbox binding pins a version of it. */
        record StillBound() implements Deletion {
        }
    }

    private final Jdbi jdbi;
    private final CredentialCipher cipher;

    public CredentialSourceStore(Jdbi jdbi, CredentialCipher cipher) {
        this.jdbi = jdbi;
        this.cipher = cipher;
    }

    /** The team's sources, by name. */
    public List<Source> list(String teamId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM credential_sources WHERE team_id = :team"
                        + " ORDER BY name").bind("team", teamId).map(CredentialSourceStore::source).list());
    }

    public Optional<Source> find(String teamId, String name) {
        return jdbi.withHandle(h -> find(h, teamId, name));
    }

    Optional<Source> find(Handle h, String teamId, String name) {
        return h.createQuery("SELECT " + COLUMNS + " FROM credential_sources WHERE team_id = :team AND name = :name")
                .bind("team", teamId).bind("name", name).map(CredentialSourceStore::source).findOne();
    }

    /** Creates the source at version 1; empty when the team has one of that name already. */
    public Optional<Source> create(String teamId, String name, CredentialMaterial material, Instant now) {
        long at = now.toEpochMilli();
        var source = new Source(UUID.randomUUID().toString(), teamId, name, material.kind(), 1,
                Instant.ofEpochMilli(at), Instant.ofEpochMilli(at));
        try {
            return jdbi.inTransaction(h -> {
                if (find(h, teamId, name).isPresent()) {
                    return Optional.empty();
                }
                h.createUpdate("INSERT INTO credential_sources (" + COLUMNS + ") VALUES (:id, :team, :name, :kind, 1,"
                                + " :at, :at)")
                        .bind("id", source.id()).bind("team", teamId).bind("name", name)
                        .bind("kind", material.kind().wire()).bind("at", at).execute();
                insertVersion(h, source, material, at);
                return Optional.of(source);
            });
        } catch (RuntimeException e) {
            if (Database.isUniqueViolation(e)) {
                return Optional.empty(); // a concurrent create of the same name won
            }
            throw e;
        }
    }

    /** Adds a version with {@code material} (its kind becomes the source's); empty when there is no such source. */
    public Optional<Source> update(String teamId, String name, CredentialMaterial material, Instant now) {
        long at = now.toEpochMilli();
        return jdbi.inTransaction(h -> {
            // The update first: on PostgreSQL it locks the row, so concurrent writes get consecutive versions.
            int updated = h.createUpdate("UPDATE credential_sources SET current_version = current_version + 1,"
                            + " resolver_kind = :kind, updated_at = :at WHERE team_id = :team AND name = :name")
                    .bind("kind", material.kind().wire()).bind("at", at).bind("team", teamId).bind("name", name)
                    .execute();
            if (updated == 0) {
                return Optional.empty();
            }
            Source source = find(h, teamId, name).orElseThrow();
            insertVersion(h, source, material, at);
            return Optional.of(source);
        });
    }

    /** Deletes the source and its versions, unless a sandbox binding pins one of them. */
    public Deletion delete(String teamId, String name) {
        try {
            return jdbi.inTransaction(h -> {
                Optional<Source> source = find(h, teamId, name);
                if (source.isEmpty()) {
                    return new Deletion.Deleted();
                }
                int bound = h.createQuery("SELECT COUNT(*) FROM sandbox_egress_credential_bindings"
                                + " WHERE source_id = :id").bind("id", source.get().id()).mapTo(Integer.class).one();
                if (bound > 0) {
                    return new Deletion.StillBound();
                }
                h.createUpdate("DELETE FROM credential_sources WHERE id = :id").bind("id", source.get().id()).execute();
                return new Deletion.Deleted();
            });
        } catch (RuntimeException e) {
            if (Database.isForeignKeyViolation(e)) {
                return new Deletion.StillBound(); // a binding made meanwhile holds a version
            }
            throw e;
        }
    }

    /** The material of one version, decrypted. */
    CredentialMaterial material(Handle h, String sourceId, long version) {
        var row = h.createQuery("SELECT s.team_id, v.resolver_kind, v.storage_kind, v.ciphertext"
                        + " FROM credential_source_versions v JOIN credential_sources s ON s.id = v.source_id"
                        + " WHERE v.source_id = :id AND v.version = :version")
                .bind("id", sourceId).bind("version", version)
                .map((rs, ctx) -> new VersionRow(rs.getString("team_id"), rs.getString("resolver_kind"),
                        rs.getString("storage_kind"), rs.getString("ciphertext")))
                .findOne()
                .orElseThrow(() -> new IllegalStateException("credential source " + sourceId + " has no version "
                        + version));
        if (!row.storageKind().equals(ENCRYPTED_PG)) {
            throw new IllegalStateException("credential source " + sourceId + " version " + version
                    + " is stored as " + row.storageKind() + ", which this server cannot read");
        }
        CredentialSourceResolverKind kind = CredentialSourceResolverKind.fromWire(row.resolverKind())
                .orElseThrow(() -> new IllegalStateException("credential source " + sourceId + " version " + version
                        + " has an unknown resolver kind"));
        byte[] plaintext;
        try {
            plaintext = cipher.open(Base64.getDecoder().decode(row.ciphertext()),
                    associatedData(row.teamId(), sourceId, version, row.storageKind(), kind));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("credential source " + sourceId + " version " + version + " cannot be"
                    + " decrypted with this installation's credential key (another key file, or the row was altered)");
        }
        try {
            return new CredentialMaterial(kind, Json.mapper().readValue(plaintext, VALUES));
        } catch (IOException e) {
            throw new IllegalStateException("credential source " + sourceId + " version " + version
                    + " holds no key/value material");
        } finally {
            java.util.Arrays.fill(plaintext, (byte) 0);
        }
    }

    private record VersionRow(String teamId, String resolverKind, String storageKind, String ciphertext) {
    }

    private void insertVersion(Handle h, Source source, CredentialMaterial material, long at) {
        byte[] plaintext = Json.write(material.values());
        CredentialCipher.Sealed sealed;
        try {
            sealed = cipher.seal(plaintext, associatedData(source.teamId(), source.id(), source.currentVersion(),
                    ENCRYPTED_PG, material.kind()));
        } finally {
            java.util.Arrays.fill(plaintext, (byte) 0);
        }
        h.createUpdate("INSERT INTO credential_source_versions (source_id, version, resolver_kind, storage_kind, key_id,"
                        + " ciphertext, created_at) VALUES (:id, :version, :kind, :storage, :key, :ciphertext, :at)")
                .bind("id", source.id()).bind("version", source.currentVersion()).bind("kind", material.kind().wire())
                .bind("storage", ENCRYPTED_PG).bind("key", sealed.keyId())
                .bind("ciphertext", Base64.getEncoder().encodeToString(sealed.ciphertext())).bind("at", at)
                .execute();
    }

    /** What a version's ciphertext is bound to: its team, source, version, storage kind and resolver kind. */
    private static byte[] associatedData(String teamId, String sourceId, long version, String storageKind,
            CredentialSourceResolverKind kind) {
        return ("sandbox0 credential source v1/" + teamId + "/" + sourceId + "/" + version + "/" + storageKind + "/"
                + kind.wire()).getBytes(StandardCharsets.UTF_8);
    }

    private static Source source(ResultSet rs, StatementContext ctx) throws SQLException {
        return new Source(
                rs.getString("id"),
                rs.getString("team_id"),
                rs.getString("name"),
                CredentialSourceResolverKind.fromWire(rs.getString("resolver_kind")).orElseThrow(),
                rs.getLong("current_version"),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")));
    }
}
