package ai.sandbox0.server.template;

import ai.sandbox0.api.Quantity;
import ai.sandbox0.api.template.ContainerSpec;
import ai.sandbox0.api.template.EmptyDirMountSpec;
import ai.sandbox0.api.template.PoolStrategy;
import ai.sandbox0.api.template.ResourceQuota;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.api.template.SecurityContext;
import ai.sandbox0.api.template.SecurityProfileType;
import ai.sandbox0.api.template.VolumeMountSpec;
import ai.sandbox0.node.IdMap;
import ai.sandbox0.node.SandboxSecurity;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.domain.DomainException.Forbidden;
import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.domain.DomainException;
import ai.sandbox0.server.network.NetworkRules;
import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What a template spec must satisfy (spec: storage-templates-credentials-tenancy §5.3), with the
 * upstream status for each failure: 400 for invalid input, 403 for the resource ratio and for
 * privileged fields set by a caller that is not a system identity.
 */
public final class TemplateRules {

    /** A template id must be able to name things on the wire: sandbox names, exposure labels. */
    private static final Pattern TEMPLATE_ID = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final List<String> UNSUPPORTED = List.of("lifecycle", "public", "allowedTeams");
    /** The runtime's own paths, and upstream's webhook-state path: no volume or empty dir may go at or below them. */
    private static final List<String> RESERVED_PATHS = List.of("/procd", "/config", "/var/run/sandbox0", "/opt/sandbox0",
            "/var/lib/sandbox0/procd", "/proc", "/sys", "/dev");

    private final long memoryPerCpuBytes;

    /** @param memoryPerCpuBytes the memory each CPU comes with (upstream default 4Gi) */
    public TemplateRules(long memoryPerCpuBytes) {
        this.memoryPerCpuBytes = memoryPerCpuBytes;
    }

    /** Trimmed and lower-cased, then checked. */
    public static String normalizeId(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new Invalid("template_id is required");
        }
        String id = raw.strip().toLowerCase(Locale.ROOT);
        if (id.length() > 255 || id.contains("/") || !TEMPLATE_ID.matcher(id).matches()) {
            throw new Invalid("invalid template id \"" + raw.strip() + "\": use 1 to 63 lowercase letters,"
                    + " digits and '-', starting and ending with a letter or digit");
        }
        return id;
    }

    /** Rejects fields upstream refuses even though they parse: checked on the raw JSON. */
    public void checkRaw(JsonNode spec) {
        if (spec == null || spec.isMissingNode() || spec.isNull()) {
            throw new Invalid("spec is required");
        }
        if (!spec.isObject()) {
            throw new Invalid("spec must be a JSON object");
        }
        for (String field : UNSUPPORTED) {
            if (spec.has(field)) {
                throw new Invalid("spec." + field + " is not supported");
            }
        }
    }

    /**
     * Checks the spec and returns it as it will be stored: a missing cpu is derived from memory (the
     * 0.9.5 SDK drops {@code cpu} from specs it sends, and the ratio makes it determined).
     */
    public SandboxTemplateSpec check(SandboxTemplateSpec spec, Principal caller) {
        ContainerSpec main = spec.mainContainer();
        if (main == null) {
            throw new Invalid("spec.mainContainer is required");
        }
        if (main.image() == null || main.image().isBlank()) {
            throw new Invalid("spec.mainContainer.image is required");
        }
        ResourceQuota resources = checkResources(main.resources());
        checkPool(spec.pool());
        checkVolumeMounts(spec.volumeMounts());
        checkPrivileged(spec, caller);
        NetworkRules.check(spec.network(), "spec.network");
        if (spec.pod() != null) {
            checkEmptyDirs(spec.pod().emptyDirMounts(), spec.volumeMounts());
        }
        if (main.securityContext() != null) {
            checkSecurityContext(main.securityContext());
        }
        var normalized = new ContainerSpec(main.image().strip(), main.imagePullPolicy(), main.env(), resources,
                main.securityContext());
        return new SandboxTemplateSpec(spec.description(), spec.displayName(), spec.tags(), normalized,
                spec.volumeMounts(), spec.pod(), spec.network(), spec.pool(), spec.envVars(), spec.clusterId());
    }

    private ResourceQuota checkResources(ResourceQuota resources) {
        if (resources == null) {
            throw new Invalid("spec.mainContainer.resources is required");
        }
        if (resources.memory() == null || resources.memory().isBlank()) {
            throw new Invalid("spec.mainContainer.resources.memory is required");
        }
        long memory = quantity("memory", resources.memory(), true);
        if (memory <= 0) {
            throw new Invalid("spec.mainContainer.resources.memory must be greater than 0");
        }
        long millicpu;
        String cpu = resources.cpu();
        if (cpu == null || cpu.isBlank()) {
            if ((memory * 1000) % memoryPerCpuBytes != 0) {
                throw ratio("memory " + resources.memory() + " is not a whole number of millicores at "
                        + Quantity.formatBytes(memoryPerCpuBytes) + " per CPU");
            }
            millicpu = memory * 1000 / memoryPerCpuBytes;
            cpu = Quantity.formatMillicpu(millicpu);
        } else {
            millicpu = quantity("cpu", cpu, false);
        }
        if (millicpu <= 0) {
            throw new Invalid("spec.mainContainer.resources.cpu must be greater than 0");
        }
        if (BigDecimal.valueOf(memory).multiply(BigDecimal.valueOf(1000))
                .compareTo(BigDecimal.valueOf(millicpu).multiply(BigDecimal.valueOf(memoryPerCpuBytes))) != 0) {
            throw ratio("cpu " + cpu + " requires memory "
                    + Quantity.formatBytes(millicpu * memoryPerCpuBytes / 1000) + ", got " + resources.memory());
        }
        if (resources.ephemeralStorage() != null && quantity("ephemeralStorage", resources.ephemeralStorage(), true) < 0) {
            throw new Invalid("spec.mainContainer.resources.ephemeralStorage must not be negative");
        }
        return new ResourceQuota(cpu, resources.memory(), resources.ephemeralStorage());
    }

    private DomainException ratio(String detail) {
        return new Forbidden("invalid template resources: total memory must equal total cpu * "
                + Quantity.formatBytes(memoryPerCpuBytes) + " (" + detail + ")");
    }

    private static long quantity(String field, String value, boolean bytes) {
        try {
            return bytes ? Quantity.bytes(value) : Quantity.millicpu(value);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new Invalid("spec.mainContainer.resources." + field + ": " + e.getMessage());
        }
    }

    private static void checkPool(PoolStrategy pool) {
        if (pool == null) {
            return;
        }
        int min = pool.minIdle() == null ? 0 : pool.minIdle();
        int max = pool.maxIdle() == null ? 0 : pool.maxIdle();
        if (min < 0) {
            throw new Invalid("spec.pool.minIdle must not be negative");
        }
        if (max < 0) {
            throw new Invalid("spec.pool.maxIdle must not be negative");
        }
        if (max < min) {
            throw new Invalid("spec.pool.maxIdle must be greater than or equal to spec.pool.minIdle");
        }
    }

    private static void checkVolumeMounts(List<VolumeMountSpec> mounts) {
        if (mounts == null) {
            return;
        }
        var names = new HashSet<String>();
        var paths = new HashSet<String>();
        for (int i = 0; i < mounts.size(); i++) {
            VolumeMountSpec mount = mounts.get(i);
            String where = "spec.volumeMounts[" + i + "]";
            if (mount.name() == null || mount.name().isBlank()) {
                throw new Invalid(where + ".name is required");
            }
            if (!names.add(mount.name())) {
                throw new Invalid(where + ".name \"" + mount.name() + "\" is used twice");
            }
            String path = checkMountPath(where + ".mountPath", mount.mountPath());
            if (!paths.add(path)) {
                throw new Invalid(where + ".mountPath \"" + path + "\" is used twice");
            }
        }
    }

    private static void checkEmptyDirs(List<EmptyDirMountSpec> emptyDirs, List<VolumeMountSpec> volumeMounts) {
        if (emptyDirs == null) {
            return;
        }
        var paths = new HashSet<String>();
        if (volumeMounts != null) {
            volumeMounts.forEach(m -> paths.add(m.mountPath()));
        }
        for (int i = 0; i < emptyDirs.size(); i++) {
            EmptyDirMountSpec dir = emptyDirs.get(i);
            String where = "spec.pod.emptyDirMounts[" + i + "]";
            String path = checkMountPath(where + ".mountPath", dir.mountPath());
            if (!paths.add(path)) {
                throw new Invalid(where + ".mountPath \"" + path + "\" duplicates another mount");
            }
            if (dir.sizeLimit() != null) {
                long size;
                try {
                    size = Quantity.bytes(dir.sizeLimit());
                } catch (IllegalArgumentException | ArithmeticException e) {
                    throw new Invalid(where + ".sizeLimit: " + e.getMessage());
                }
                if (size <= 0) {
                    throw new Invalid(where + ".sizeLimit must be greater than 0");
                }
            }
        }
    }

    private static String checkMountPath(String where, String path) {
        if (path == null || path.isBlank()) {
            throw new Invalid(where + " is required");
        }
        if (!path.startsWith("/") || !Path.of(path).normalize().toString().equals(path) || path.equals("/")) {
            throw new Invalid(where + " must be a clean absolute path other than /, got \"" + path + "\"");
        }
        if (reserved(path)) {
            throw new Invalid(where + " \"" + path + "\" is reserved for the runtime");
        }
        return path;
    }

    /** Whether a clean absolute path is at or below a path the runtime keeps for itself. */
    public static boolean reserved(String path) {
        for (String reserved : RESERVED_PATHS) {
            if (path.equals(reserved) || path.startsWith(reserved + "/")) {
                return true;
            }
        }
        return false;
    }

    private static void checkPrivileged(SandboxTemplateSpec spec, Principal caller) {
        if (caller.systemAdmin()) {
            return;
        }
        SecurityContext security = spec.mainContainer().securityContext();
        String field = spec.pod() != null ? "spec.pod"
                : security != null && loosening(security) != null ? loosening(security)
                : spec.mainContainer().imagePullPolicy() != null ? "spec.mainContainer.imagePullPolicy"
                : spec.clusterId() != null ? "spec.clusterId"
                : null;
        if (field != null) {
            throw new Forbidden(field + " is privileged: only a system identity may set it");
        }
    }

    /**
     * The first securityContext field that would loosen the runtime's defaults (upstream reserves the whole
     * securityContext to a system identity); null when it only tightens them: another user, a read-only root,
     * capabilities dropped, the default filter. Tightening cannot weaken isolation, so a team may ask for it.
     */
    private static String loosening(SecurityContext c) {
        String at = "spec.mainContainer.securityContext.";
        if (c.privileged() != null && c.privileged()) {
            return at + "privileged";
        }
        if (c.capabilities() != null && !nullToEmpty(c.capabilities().add()).isEmpty()) {
            return at + "capabilities.add";
        }
        if (Boolean.TRUE.equals(c.allowPrivilegeEscalation())) {
            return at + "allowPrivilegeEscalation";
        }
        if (c.seccompProfile() != null && c.seccompProfile().type() != null
                && c.seccompProfile().type() != SecurityProfileType.RUNTIME_DEFAULT) {
            return at + "seccompProfile";
        }
        if (c.appArmorProfile() != null && c.appArmorProfile().type() != null) {
            return at + "appArmorProfile";
        }
        return null;
    }

    private static void checkSecurityContext(SecurityContext context) {
        if (context.capabilities() != null) {
            for (List<String> names : Arrays.asList(context.capabilities().add(), context.capabilities().drop())) {
                if (names != null && names.stream().anyMatch(n -> n == null || n.isBlank())) {
                    throw new Invalid("spec.mainContainer.securityContext.capabilities: names must not be empty");
                }
            }
        }
        checkProfile("seccompProfile", context.seccompProfile() == null ? null : context.seccompProfile().type(),
                context.seccompProfile() == null ? null : context.seccompProfile().localhostProfile());
        checkProfile("appArmorProfile", context.appArmorProfile() == null ? null : context.appArmorProfile().type(),
                context.appArmorProfile() == null ? null : context.appArmorProfile().localhostProfile());
        checkAvailable(context);
    }

    /**
     * What this server can give (see {@link SandboxSecurity}): any user and group of the sandbox's own 65536
     * ids, a read-only root, no_new_privs lifted, capabilities added from Docker's default set or dropped, the
     * runtime's seccomp filter or none. A template asking for anything else fails naming the field — never a
     * sandbox weaker or stronger than the template says.
     */
    private static void checkAvailable(SecurityContext context) {
        String at = "spec.mainContainer.securityContext.";
        if (Boolean.TRUE.equals(context.privileged())) {
            throw new Invalid(at + "privileged: privileged sandboxes are not supported on this server");
        }
        for (var id : List.of(Map.entry("runAsUser", Optional.ofNullable(context.runAsUser())),
                Map.entry("runAsGroup", Optional.ofNullable(context.runAsGroup())))) {
            if (id.getValue().isPresent() && (id.getValue().get() < 0 || id.getValue().get() >= IdMap.SIZE)) {
                throw new Invalid(at + id.getKey() + " must be 0.." + (IdMap.SIZE - 1)
                        + ": a sandbox has that many ids of its own, got " + id.getValue().get());
            }
        }
        if (Boolean.TRUE.equals(context.runAsNonRoot()) && (context.runAsUser() == null || context.runAsUser() == 0)) {
            throw new Invalid(at + "runAsNonRoot: the sandbox would run as root (uid 0): set runAsUser to a"
                    + " non-zero user id");
        }
        if (context.capabilities() != null) {
            for (String name : nullToEmpty(context.capabilities().add())) {
                String cap = SandboxSecurity.capability(name);
                if (!SandboxSecurity.GRANTABLE.contains(cap)) {
                    throw new Invalid(at + "capabilities.add: " + name + " cannot be granted to a sandbox (grantable: "
                            + String.join(", ", new TreeSet<>(SandboxSecurity.GRANTABLE)) + ")");
                }
            }
            for (String name : nullToEmpty(context.capabilities().drop())) {
                String cap = SandboxSecurity.capability(name);
                if (!cap.equals("ALL") && !SandboxSecurity.KNOWN.contains(cap)) {
                    throw new Invalid(at + "capabilities.drop: " + name + " is not a Linux capability");
                }
            }
        }
        if (context.seccompProfile() != null && context.seccompProfile().type() == SecurityProfileType.LOCALHOST) {
            throw new Invalid(at + "seccompProfile: Localhost profiles are not supported on this server;"
                    + " use RuntimeDefault (the runtime's allow-list) or Unconfined");
        }
        if (context.appArmorProfile() != null && context.appArmorProfile().type() != null
                && context.appArmorProfile().type() != SecurityProfileType.UNCONFINED) {
            throw new Invalid(at + "appArmorProfile: this server does not use AppArmor; only Unconfined");
        }
    }

    private static List<String> nullToEmpty(List<String> names) {
        return names == null ? List.of() : names;
    }

    /** The securityContext of a validated template as the node takes it; {@link SandboxSecurity#DEFAULT} without one. */
    public static SandboxSecurity security(SandboxTemplateSpec spec) {
        SecurityContext c = spec.mainContainer() == null ? null : spec.mainContainer().securityContext();
        if (c == null) {
            return SandboxSecurity.DEFAULT;
        }
        long uid = c.runAsUser() == null ? 0 : c.runAsUser();
        long gid = c.runAsGroup() != null ? c.runAsGroup() : uid;
        var add = new java.util.HashSet<String>();
        var drop = new java.util.HashSet<String>();
        if (c.capabilities() != null) {
            nullToEmpty(c.capabilities().add()).forEach(n -> add.add(SandboxSecurity.capability(n)));
            nullToEmpty(c.capabilities().drop()).forEach(n -> drop.add(SandboxSecurity.capability(n)));
        }
        boolean seccomp = c.seccompProfile() == null || c.seccompProfile().type() != SecurityProfileType.UNCONFINED;
        return new SandboxSecurity(uid, gid, Boolean.TRUE.equals(c.readOnlyRootFilesystem()),
                !Boolean.TRUE.equals(c.allowPrivilegeEscalation()), add, drop, seccomp);
    }

    private static void checkProfile(String field, SecurityProfileType type, String localhostProfile) {
        if (type == null) {
            return;
        }
        boolean localhost = type == SecurityProfileType.LOCALHOST;
        if (localhost != (localhostProfile != null && !localhostProfile.isBlank())) {
            throw new Invalid("spec.mainContainer.securityContext." + field
                    + ".localhostProfile is required for type Localhost and only allowed with it");
        }
    }
}
