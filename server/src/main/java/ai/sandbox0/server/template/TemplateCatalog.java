package ai.sandbox0.server.template;

import ai.sandbox0.api.template.ContainerSpec;
import ai.sandbox0.api.template.PoolStrategy;
import ai.sandbox0.api.template.ResourceQuota;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.api.template.Template;
import ai.sandbox0.api.template.TemplateList;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.domain.DomainException.Conflict;
import ai.sandbox0.server.domain.DomainException.NotFound;
import ai.sandbox0.server.domain.DomainException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Templates as callers see them: a team sees the public templates and its own, writes only its own,
 * and a team template shadows a public one of the same id.
 */
public final class TemplateCatalog {

    /** The builtin template every installation has: the Debian bookworm image with a small warm pool. */
    public static final String DEFAULT_TEMPLATE = "default";
    public static final String DEFAULT_IMAGE = "default";

    private final TemplateStore store;
    private final TemplateRules rules;
    private final TemplatePools pools;
    private final Clock clock;

    public TemplateCatalog(TemplateStore store, TemplateRules rules, TemplatePools pools, Clock clock) {
        this.store = store;
        this.rules = rules;
        this.pools = pools;
        this.clock = clock;
    }

    /** Seeds the builtin {@code default} template unless an operator has one already. */
    public void seedBuiltins() {
        Instant now = clock.instant();
        var spec = new SandboxTemplateSpec("Debian bookworm with bash, python3, node, git and curl", "Default",
                List.of("builtin"), new ContainerSpec(DEFAULT_IMAGE, null, null, new ResourceQuota("500m", "2Gi", null), null),
                null, null, null, new PoolStrategy(1, 5), null, null);
        store.insert(new StoredTemplate(TemplateScope.PUBLIC, "", DEFAULT_TEMPLATE, null, spec, TemplateStore.hash(spec), now, now));
    }

    public TemplateList list(Principal caller) {
        List<Template> templates = store.visibleTo(caller.teamId()).stream().map(this::view).toList();
        return new TemplateList(templates, templates.size());
    }

    public Template get(Principal caller, String rawId) {
        return view(find(caller, TemplateRules.normalizeId(rawId)));
    }

    /** The template a claim by this caller would use. */
    public Optional<StoredTemplate> resolve(Principal caller, String id) {
        return store.resolve(caller.teamId(), id);
    }

    public Template create(Principal caller, String rawId, SandboxTemplateSpec spec) {
        String id = TemplateRules.normalizeId(rawId);
        SandboxTemplateSpec checked = rules.check(spec, caller);
        Instant now = clock.instant();
        var template = new StoredTemplate(TemplateScope.TEAM, caller.teamId(), id, caller.userId(), checked,
                TemplateStore.hash(checked), now, now);
        if (!store.insert(template)) {
            throw new Conflict("template already exists");
        }
        pools.changed(template);
        return view(template);
    }

    public Template update(Principal caller, String rawId, SandboxTemplateSpec spec) {
        String id = TemplateRules.normalizeId(rawId);
        SandboxTemplateSpec checked = rules.check(spec, caller);
        // Lookup is team-scoped: a team cannot modify public builtins, only shadow them.
        if (!store.replaceSpec(TemplateScope.TEAM, caller.teamId(), id, checked, clock.instant())) {
            throw notFound(id);
        }
        StoredTemplate updated = store.find(TemplateScope.TEAM, caller.teamId(), id).orElseThrow(() -> notFound(id));
        pools.changed(updated);
        return view(updated);
    }

    public void delete(Principal caller, String rawId) {
        String id = TemplateRules.normalizeId(rawId);
        StoredTemplate existing = store.find(TemplateScope.TEAM, caller.teamId(), id).orElseThrow(() -> notFound(id));
        if (!store.delete(TemplateScope.TEAM, caller.teamId(), id)) {
            throw notFound(id);
        }
        pools.removed(existing);
    }

    public TemplateRules rules() {
        return rules;
    }

    private StoredTemplate find(Principal caller, String id) {
        return store.resolve(caller.teamId(), id).orElseThrow(() -> notFound(id));
    }

    private static DomainException notFound(String id) {
        return new NotFound("template " + id + " not found");
    }

    private Template view(StoredTemplate t) {
        return new Template(t.templateId(), t.scope().wire(), t.teamId().isEmpty() ? null : t.teamId(), t.userId(),
                t.spec(), pools.status(t), t.createdAt(), t.updatedAt());
    }
}
