package ai.sandbox0.server.auth;

/** Upstream permissions, each guarding a set of routes (spec: storage-templates-credentials-tenancy §0.2). */
public enum Permission {
    SANDBOX_CREATE("sandbox:create"),
    SANDBOX_READ("sandbox:read"),
    SANDBOX_WRITE("sandbox:write"),
    SANDBOX_DELETE("sandbox:delete"),
    TEMPLATE_CREATE("template:create"),
    TEMPLATE_READ("template:read"),
    TEMPLATE_WRITE("template:write"),
    TEMPLATE_DELETE("template:delete"),
    REGISTRY_WRITE("registry:write"),
    APIKEY_MANAGE("apikey:manage"),
    CREDENTIALSOURCE_READ("credentialsource:read"),
    CREDENTIALSOURCE_WRITE("credentialsource:write"),
    CREDENTIALSOURCE_DELETE("credentialsource:delete"),
    SANDBOXVOLUME_CREATE("sandboxvolume:create"),
    SANDBOXVOLUME_READ("sandboxvolume:read"),
    SANDBOXVOLUME_WRITE("sandboxvolume:write"),
    SANDBOXVOLUME_DELETE("sandboxvolume:delete"),
    SANDBOXVOLUMEFILE_READ("sandboxvolumefile:read"),
    SANDBOXVOLUMEFILE_WRITE("sandboxvolumefile:write"),
    QUOTA_READ("quota:read"),
    QUOTA_WRITE("quota:write");

    private final String wire;

    Permission(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
