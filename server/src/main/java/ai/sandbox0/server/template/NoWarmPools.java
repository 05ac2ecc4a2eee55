package ai.sandbox0.server.template;

import ai.sandbox0.api.template.SandboxTemplateStatus;

/** Pools for a server without a sandbox runtime: nothing idles, nothing runs, nothing to drain. */
public final class NoWarmPools implements TemplatePools {

    @Override
    public SandboxTemplateStatus status(StoredTemplate template) {
        return new SandboxTemplateStatus(0, 0, null, null);
    }

    @Override
    public void changed(StoredTemplate template) {
    }

    @Override
    public void removed(StoredTemplate template) {
    }
}
