package ai.sandbox0.node;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How a sandbox's processes run (a template's {@code securityContext}, checked): procd and everything it
 * starts run as {@code uid}:{@code gid} of the sandbox's own range; the root filesystem may be read-only
 * ({@code /tmp} and the working directory stay writable); {@code no_new_privs} may be lifted so setuid
 * programs work; capabilities may be added from {@link #GRANTABLE} or dropped; the system call filter may be
 * left off (for system templates only: the server decides who may ask).
 *
 * @param addedCapabilities names without the {@code CAP_} prefix, upper case
 * @param droppedCapabilities likewise, or {@code ALL}
 */
public record SandboxSecurity(long uid, long gid, boolean readOnlyRoot, boolean noNewPrivileges,
        Set<String> addedCapabilities, Set<String> droppedCapabilities, boolean seccomp) {

    /** Root of the sandbox's range, Docker's defaults without NET_RAW, no_new_privs, the filter on. */
    public static final SandboxSecurity DEFAULT = new SandboxSecurity(0, 0, false, true, Set.of(), Set.of(), true);

    /** What a template may add: Docker's default set (NET_RAW included). Nothing that reaches past the sandbox. */
    public static final Set<String> GRANTABLE = Set.of("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD",
            "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
            "AUDIT_WRITE");

    /** Every capability Linux knows: what a drop may name. */
    public static final Set<String> KNOWN = Set.of("CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
            "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
            "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE",
            "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
            "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
            "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE");

    public SandboxSecurity {
        if (uid < 0 || uid >= IdMap.SIZE || gid < 0 || gid >= IdMap.SIZE) {
            throw new IllegalArgumentException("user and group must be in 0.." + (IdMap.SIZE - 1)
                    + ", the sandbox's own ids; got " + uid + ":" + gid);
        }
        addedCapabilities = Set.copyOf(addedCapabilities);
        droppedCapabilities = Set.copyOf(droppedCapabilities);
        for (String name : addedCapabilities) {
            if (!GRANTABLE.contains(name)) {
                throw new IllegalArgumentException("capability " + name + " cannot be granted to a sandbox");
            }
        }
        for (String name : droppedCapabilities) {
            if (!name.equals("ALL") && !KNOWN.contains(name)) {
                throw new IllegalArgumentException("unknown capability " + name);
            }
        }
    }

    /** A capability name as Kubernetes users write it ({@code net_bind_service}, {@code CAP_KILL}): canonical. */
    public static String capability(String name) {
        String upper = name.strip().toUpperCase(Locale.ROOT);
        return upper.startsWith("CAP_") ? upper.substring(4) : upper;
    }

    /** {@code base} (names with {@code CAP_}) with the additions, less the drops; dropping ALL leaves the additions. */
    public List<String> capabilities(List<String> base) {
        var caps = new LinkedHashSet<String>();
        if (!droppedCapabilities.contains("ALL")) {
            base.stream().filter(c -> !droppedCapabilities.contains(c.substring(4))).forEach(caps::add);
        }
        addedCapabilities.stream().sorted().forEach(c -> caps.add("CAP_" + c));
        return List.copyOf(caps);
    }
}
