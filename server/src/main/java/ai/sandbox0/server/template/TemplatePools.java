package ai.sandbox0.server.template;

import ai.sandbox0.api.template.SandboxTemplateStatus;

/**
 * Where templates meet the runtime: pool counters for the API, and the signal that a template's spec
 * changed or went away so idle sandboxes of the old spec are drained.
 */
public interface TemplatePools {

    SandboxTemplateStatus status(StoredTemplate template);

    void changed(StoredTemplate template);

    void removed(StoredTemplate template);
}
