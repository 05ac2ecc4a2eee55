package ai.sandbox0.node.runtime;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The default system-call filter, modelled on Docker's: everything a normal program needs is allowed,
 * and what reaches into the kernel or the host is refused with EPERM. Docker writes the same policy as
 * an allow-list; a deny-list of the dangerous calls is easier to audit and does not break the JVM or
 * language runtimes when a new harmless syscall appears. Names unknown to this kernel's libseccomp are
 * skipped by runc.
 */
public record SeccompProfile(List<String> denied) {

    static final int EPERM = 1;
    static final int ENOSYS = 38;
    static final long CLONE_NEWUSER = 0x10000000L;

    /** Calls no sandbox may make, each for a reason. */
    public static final List<String> DEFAULT_DENIED = List.of(
            // filesystems and the host's mount table
            "mount", "umount", "umount2", "pivot_root",
            "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr",
            "name_to_handle_at", "open_by_handle_at", "quotactl", "quotactl_fd",
            // kernel modules, kexec, reboot, swap, accounting
            "init_module", "finit_module", "delete_module", "create_module", "query_module", "get_kernel_syms",
            "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "acct",
            // kernel-wide clocks and knobs
            "settimeofday", "stime", "clock_settime", "clock_settime64", "clock_adjtime", "clock_adjtime64",
            "adjtimex", "_sysctl", "sysfs", "ustat", "uselib", "nfsservctl", "lookup_dcookie",
            "syslog", "vhangup",
            // eBPF, perf, keyrings, io_uring: large kernel attack surface
            "bpf", "perf_event_open", "keyctl", "add_key", "request_key", "userfaultfd",
            "io_uring_setup", "io_uring_enter", "io_uring_register",
            // other processes' memory and namespaces
            "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "setns", "unshare",
            // raw I/O ports, vm86, NUMA policy of other processes
            "ioperm", "iopl", "vm86", "vm86old", "move_pages", "migrate_pages");

    public static SeccompProfile defaults() {
        return new SeccompProfile(DEFAULT_DENIED);
    }

    /** {@code linux.seccomp} of config.json. */
    public Map<String, Object> toOci() {
        var rules = new java.util.ArrayList<Map<String, Object>>();
        rules.add(rule(denied, EPERM, null));
        // A new user namespace would hand the sandbox every capability inside it.
        rules.add(rule(List.of("clone"), EPERM, List.of(Map.of(
                "index", 0, "value", CLONE_NEWUSER, "valueTwo", CLONE_NEWUSER, "op", "SCMP_CMP_MASKED_EQ"))));
        // clone3 passes its flags in memory where seccomp cannot see them: ENOSYS makes libc fall back to clone.
        rules.add(rule(List.of("clone3"), ENOSYS, null));
        var profile = new LinkedHashMap<String, Object>();
        profile.put("defaultAction", "SCMP_ACT_ALLOW");
        profile.put("architectures", List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"));
        profile.put("syscalls", rules);
        return profile;
    }

    private static Map<String, Object> rule(List<String> names, int errno, List<Map<String, Object>> args) {
        var r = new LinkedHashMap<String, Object>();
        r.put("names", names);
        r.put("action", "SCMP_ACT_ERRNO");
        r.put("errnoRet", errno);
        if (args != null) {
            r.put("args", args);
        }
        return r;
    }
}
