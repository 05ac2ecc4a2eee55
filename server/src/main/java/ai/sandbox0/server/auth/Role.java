package ai.sandbox0.server.auth;

import static ai.sandbox0.server.auth.Permission.*;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/** Team roles and exactly the permissions upstream grants each (spec: storage-templates-credentials-tenancy §0.2). */
public enum Role {
    ADMIN("admin", EnumSet.allOf(Permission.class)),
    DEVELOPER("developer", EnumSet.of(
            SANDBOX_CREATE, SANDBOX_READ, SANDBOX_WRITE, SANDBOX_DELETE,
            TEMPLATE_READ, REGISTRY_WRITE,
            CREDENTIALSOURCE_READ, CREDENTIALSOURCE_WRITE, CREDENTIALSOURCE_DELETE,
            SANDBOXVOLUME_CREATE, SANDBOXVOLUME_READ, SANDBOXVOLUME_WRITE, SANDBOXVOLUME_DELETE,
            SANDBOXVOLUMEFILE_READ, SANDBOXVOLUMEFILE_WRITE,
            QUOTA_READ)),
    BUILDER("builder", EnumSet.of(TEMPLATE_READ, REGISTRY_WRITE)),
    VIEWER("viewer", EnumSet.of(
            SANDBOX_READ, TEMPLATE_READ, CREDENTIALSOURCE_READ, SANDBOXVOLUME_READ, SANDBOXVOLUMEFILE_READ,
            QUOTA_READ));

    private final String wire;
    private final Set<Permission> permissions;

    Role(String wire, Set<Permission> permissions) {
        this.wire = wire;
        this.permissions = Set.copyOf(permissions);
    }

    public String wire() {
        return wire;
    }

    public Set<Permission> permissions() {
        return permissions;
    }

    public static Optional<Role> fromWire(String wire) {
        return Arrays.stream(values()).filter(r -> r.wire.equals(wire)).findFirst();
    }
}
