package ai.sandbox0.server.credential;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.CachePolicySpec;
import ai.sandbox0.api.network.CredentialBinding;
import ai.sandbox0.api.network.ProjectionSpec;
import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.store.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Which credential source versions a sandbox's {@code network.credentialBindings[]} use. Applying a policy pins
 * each binding to its source's current version at that moment (as upstream does: rotating a source reaches a
 * sandbox when its policy is applied again), and the pinned version row cannot be deleted while bound.
 */
public final class CredentialBindings {

    /** Refs are keys of the store. */
    public static final int MAX_REF_CHARS = 255;

    private record Row(String ref, String sourceRef, String sourceId, long sourceVersion, String projectionJson,
            String cachePolicyJson) {
    }

    private final Jdbi jdbi;
    private final CredentialSourceStore sources;
    private final Clock clock;
    private final List<java.util.function.Consumer<String>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    public CredentialBindings(Jdbi jdbi, CredentialSourceStore sources, Clock clock) {
        this.jdbi = jdbi;
        this.sources = sources;
        this.clock = clock;
    }

    /** {@code listener} is told the sandbox id whenever a sandbox's bindings were replaced or removed. */
    public void onChange(java.util.function.Consumer<String> listener) {
        listeners.add(listener);
    }

    private void changed(String sandboxId) {
        listeners.forEach(l -> l.accept(sandboxId));
    }

    /**
     * Replaces the sandbox's bindings by {@code bindings} (none: removes them), each pinned to the current version
     * of the team's source it names, in one transaction. A binding naming no source of the team is a 400
     * ({@code credentialBindings[i].sourceRef}); nothing changes then.
     */
    public void bind(String teamId, String sandboxId, List<CredentialBinding> bindings) {
        List<CredentialBinding> given = bindings == null ? List.of() : bindings;
        long now = clock.millis();
        try {
            jdbi.useTransaction(h -> {
                var rows = new ArrayList<Row>();
                var refs = new HashSet<String>();
                for (int i = 0; i < given.size(); i++) {
                    CredentialBinding binding = given.get(i);
                    String at = "credentialBindings[" + i + "]";
                    if (binding == null || binding.ref() == null || binding.ref().isBlank()) {
                        throw new Invalid(at + ".ref is required");
                    }
                    if (binding.ref().length() > MAX_REF_CHARS) {
                        throw new Invalid(at + ".ref must be at most " + MAX_REF_CHARS + " characters");
                    }
                    if (!refs.add(binding.ref())) {
                        throw new Invalid(at + ".ref \"" + binding.ref() + "\" is used twice");
                    }
                    if (binding.sourceRef() == null || binding.sourceRef().isBlank()) {
                        throw new Invalid(at + ".sourceRef is required");
                    }
                    if (binding.projection() == null) {
                        throw new Invalid(at + ".projection is required");
                    }
                    var source = sources.find(h, teamId, binding.sourceRef()).orElseThrow(() -> new Invalid(
                            at + ".sourceRef: credential source \"" + binding.sourceRef() + "\" not found"));
                    rows.add(new Row(binding.ref(), binding.sourceRef(), source.id(), source.currentVersion(),
                            Json.writeString(binding.projection()),
                            binding.cachePolicy() == null ? null : Json.writeString(binding.cachePolicy())));
                }
                h.createUpdate("DELETE FROM sandbox_egress_credential_bindings WHERE sandbox_id = :sandbox")
                        .bind("sandbox", sandboxId).execute();
                for (Row row : rows) {
                    h.createUpdate("INSERT INTO sandbox_egress_credential_bindings (team_id, sandbox_id, ref,"
                                    + " source_ref, source_id, source_version, projection_json, cache_policy_json,"
                                    + " updated_at) VALUES (:team, :sandbox, :ref, :sourceRef, :sourceId, :version,"
                                    + " :projection, :cachePolicy, :now)")
                            .bind("team", teamId).bind("sandbox", sandboxId).bind("ref", row.ref())
                            .bind("sourceRef", row.sourceRef()).bind("sourceId", row.sourceId())
                            .bind("version", row.sourceVersion()).bind("projection", row.projectionJson())
                            .bind("cachePolicy", row.cachePolicyJson()).bind("now", now)
                            .execute();
                }
            });
            changed(sandboxId);
        } catch (RuntimeException e) {
            if (Database.isForeignKeyViolation(e)) {
                // The source was deleted between the lookup and the insert.
                throw new Invalid("credentialBindings: a credential source was deleted meanwhile; apply again");
            }
            throw e;
        }
    }

    /** Removes the sandbox's bindings (it is deleted): its sources may be deleted again. */
    public void release(String sandboxId) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM sandbox_egress_credential_bindings WHERE sandbox_id = :sandbox")
                .bind("sandbox", sandboxId).execute());
        changed(sandboxId);
    }

    /** The sandbox's binding {@code ref} with the decrypted material of the version it pins; empty when none. */
    public Optional<ResolvedCredential> resolve(String sandboxId, String ref) {
        return jdbi.withHandle(h -> h.createQuery("SELECT ref, source_ref, source_id, source_version,"
                                + " projection_json, cache_policy_json FROM sandbox_egress_credential_bindings"
                                + " WHERE sandbox_id = :sandbox AND ref = :ref")
                        .bind("sandbox", sandboxId).bind("ref", ref)
                        .map((rs, ctx) -> new Row(rs.getString("ref"), rs.getString("source_ref"),
                                rs.getString("source_id"), rs.getLong("source_version"),
                                rs.getString("projection_json"), rs.getString("cache_policy_json")))
                        .findOne()
                        .map(row -> {
                            CredentialMaterial material = sources.material(h, row.sourceId(), row.sourceVersion());
                            return new ResolvedCredential(row.ref(), row.sourceRef(), row.sourceVersion(),
                                    material.kind(), read(row.projectionJson(), ProjectionSpec.class),
                                    row.cachePolicyJson() == null ? null
                                            : read(row.cachePolicyJson(), CachePolicySpec.class),
                                    material.values());
                        }));
    }

    /** The refs bound for the sandbox, sorted. */
    public List<String> refs(String sandboxId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT ref FROM sandbox_egress_credential_bindings"
                        + " WHERE sandbox_id = :sandbox ORDER BY ref")
                .bind("sandbox", sandboxId).mapTo(String.class).list());
    }

    private static <T> T read(String json, Class<T> type) {
        try {
            return Json.mapper().readValue(json, type);
        } catch (IOException e) {
            throw new UncheckedIOException("stored credential binding does not read as " + type.getSimpleName(), e);
        }
    }
}
