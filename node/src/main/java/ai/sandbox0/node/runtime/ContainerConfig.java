package ai.sandbox0.node.runtime;

import ai.sandbox0.node.IdMap;
import ai.sandbox0.node.SandboxSecurity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything config.json says about one sandbox, typed. {@link #toOci()} adds the fixed hardening:
 * namespaces (a user namespace of its own among them), masked and read-only paths, the private /dev
 * and /dev/shm, no new privileges.
 *
 * @param rootfs the mounted overlay, relative to the bundle or absolute
 * @param netns the pre-created network namespace (its bind-mounted file)
 * @param cgroupsPath e.g. {@code /sandbox0-s0/<id>}, below every hierarchy
 * @param cwd the working directory of procd, also its {@code HOME}
 * @param seccomp the system call filter, null for none
 * @param security the user, read-only root and privilege settings
 * @param ids the host ids of the sandbox's root and its users
 * @param userNamespace the run's user namespace (its bind-mounted file), which owns {@code netns}
 */
public record ContainerConfig(
        String hostname,
        Path rootfs,
        List<String> args,
        Map<String, String> env,
        String cwd,
        Path netns,
        String cgroupsPath,
        CgroupLimits limits,
        SeccompProfile seccomp,
        CapabilitySet capabilities,
        List<OciMount> extraMounts,
        SandboxSecurity security,
        IdMap ids,
        Path userNamespace) {

    /** Paths of /proc and /sys a sandbox must not read: kernel memory, keys, timers, firmware. */
    public static final List<String> MASKED_PATHS = List.of(
            "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
            "/sys/firmware", "/sys/devices/virtual/powercap");

    /** Paths of /proc a sandbox may read but never write: kernel knobs and the sysrq trigger. */
    public static final List<String> READONLY_PATHS = List.of(
            "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

    /**
     * Namespaced kernel settings of every sandbox: ICMP echo sockets for every group of the sandbox, so
     * {@code ping} works without {@code CAP_NET_RAW}. They belong to the sandbox's own network namespace.
     */
    Map<String, String> sysctls() {
        return Map.of("net.ipv4.ping_group_range", "0 " + (ids.size() - 1));
    }

    /**
     * Open files per process in a sandbox: generous for builds and servers, but never above the node's own
     * hard limit, which runc cannot raise a container past.
     */
    public static final long OPEN_FILES = Math.min(1_048_576L, hardOpenFilesLimit());

    /**
     * Per-process limits: {@link #OPEN_FILES}; no core dumps (a crashing process must not write its memory,
     * secrets included, to the sandbox's disk); and processes per user as many as the pids cgroup allows the
     * whole sandbox, so a fork bomb of one user meets a limit of its own before the sandbox's.
     */
    List<Rlimit> rlimits() {
        return List.of(
                new Rlimit("RLIMIT_NOFILE", OPEN_FILES, OPEN_FILES),
                new Rlimit("RLIMIT_CORE", 0, 0),
                new Rlimit("RLIMIT_NPROC", limits.pidsLimit(), limits.pidsLimit()));
    }

    /** The hard RLIMIT_NOFILE of this process, from /proc/self/limits (1024, the usual default, if unreadable). */
    static long hardOpenFilesLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                    return f[1].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(f[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or a /proc without limits
        }
        return 1024;
    }

    /** One of {@code process.rlimits}. */
    record Rlimit(String type, long soft, long hard) {
    }

    public static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public ContainerConfig withLimits(CgroupLimits l) {
        return new ContainerConfig(hostname, rootfs, args, env, cwd, netns, cgroupsPath, l, seccomp, capabilities,
                extraMounts, security, ids, userNamespace);
    }

    public ContainerConfig {
        args = List.copyOf(args);
        env = Map.copyOf(env);
        extraMounts = List.copyOf(extraMounts);
    }

    public Map<String, Object> toOci() {
        var envList = new ArrayList<String>();
        envList.add("PATH=" + PATH);
        envList.add("HOME=" + cwd);
        envList.add("HOSTNAME=" + hostname);
        env.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> envList.add(e.getKey() + "=" + e.getValue()));

        var process = new LinkedHashMap<String, Object>();
        process.put("terminal", false);
        process.put("user", Map.of("uid", security.uid(), "gid", security.gid()));
        process.put("args", args);
        process.put("env", envList);
        process.put("cwd", cwd);
        process.put("capabilities", capabilities.toOci());
        process.put("noNewPrivileges", security.noNewPrivileges());
        process.put("rlimits", rlimits());

        var linux = new LinkedHashMap<String, Object>();
        linux.put("cgroupsPath", cgroupsPath);
        linux.put("resources", limits.toOci());
        linux.put("namespaces", List.of(
                Map.of("type", "pid"),
                Map.of("type", "ipc"),
                Map.of("type", "uts"),
                Map.of("type", "mount"),
                Map.of("type", "cgroup"),
                Map.of("type", "network", "path", netns.toString()),
                Map.of("type", "user", "path", userNamespace.toString())));
        // The namespace is made already; runc checks these against it and creates devices to match.
        linux.put("uidMappings", ids.toOci());
        linux.put("gidMappings", ids.toOci());
        linux.put("maskedPaths", MASKED_PATHS);
        linux.put("readonlyPaths", READONLY_PATHS);
        if (seccomp != null) {
            linux.put("seccomp", seccomp.toOci());
        }
        linux.put("sysctl", sysctls());
        // Mounts made inside the sandbox never propagate back to the host.
        linux.put("rootfsPropagation", "rprivate");

        var config = new LinkedHashMap<String, Object>();
        config.put("ociVersion", "1.0.2");
        config.put("process", process);
        config.put("root", Map.of("path", rootfs.toString(), "readonly", security.readOnlyRoot()));
        config.put("hostname", hostname);
        config.put("mounts", mounts());
        config.put("linux", linux);
        return config;
    }

    private List<Map<String, Object>> mounts() {
        var m = new ArrayList<OciMount>();
        m.add(new OciMount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")));
        // A private /dev: runc creates only null, zero, full, random, urandom, tty and ptmx in it.
        m.add(new OciMount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")));
        m.add(new OciMount("/dev/pts", "devpts", "devpts",
                List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")));
        m.add(new OciMount("/dev/shm", "tmpfs", "shm",
                List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
        m.add(new OciMount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")));
        m.add(new OciMount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
        m.add(new OciMount("/sys/fs/cgroup", "cgroup", "cgroup", List.of("nosuid", "noexec", "nodev", "relatime", "ro")));
        // No /tmp mount: /tmp is part of the root filesystem, on the sandbox's disk and in its checkpoints.
        m.addAll(extraMounts);
        return m.stream().map(OciMount::toOci).toList();
    }
}
