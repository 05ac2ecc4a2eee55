package ai.sandbox0.node.runtime;

import java.util.List;
import java.util.Map;

/**
 * The capabilities a sandbox's processes keep: Docker's default set without {@code CAP_NET_RAW}, so no
 * raw or packet sockets (ARP and DHCP spoofing, sniffing the sandbox's own link). {@code ping} still
 * works through unprivileged ICMP sockets ({@code net.ipv4.ping_group_range}, see {@link ContainerConfig}). Everything else is dropped.
 */
public record CapabilitySet(List<String> caps) {

    public static final List<String> SANDBOX_DEFAULT = List.of(
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
            "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
            "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

    public static CapabilitySet sandboxDefault() {
        return new CapabilitySet(SANDBOX_DEFAULT);
    }

    /** {@code process.capabilities}; none inheritable or ambient, so exec'd programs get no more. */
    public Map<String, Object> toOci() {
        return Map.of("bounding", caps, "effective", caps, "permitted", caps);
    }
}
