package ai.sandbox0.node.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The system-call filter of every sandbox: an allow-list. What an ordinary Linux workload calls (files,
 * processes and threads, signals, memory, sockets, timers, SysV and POSIX IPC, namespaced scheduling) is
 * allowed; anything not named, including every system call a newer kernel adds, fails with EPERM. Left out
 * on purpose: mounts and the new mount API, module loading, kexec, reboot, swap, clocks and kernel knobs,
 * eBPF, perf, keyrings, io_uring, userfaultfd, namespaces ({@code unshare}, {@code setns}, namespace flags
 * of {@code clone}), other processes' memory and file descriptors ({@code process_vm_*},
 * {@code process_madvise}, {@code pidfd_getfd}, {@code kcmp}), raw I/O ports, and personalities other than
 * Linux's own. Names this kernel's libseccomp does not know are skipped by runc.
 */
public record SeccompProfile(List<String> allowed, List<String> architectures) {

    static final int EPERM = 1;
    static final int ENOSYS = 38;
    /** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: a clone may set none of them. */
    static final long CLONE_NAMESPACE_FLAGS = 0x7E020000L;
    /**
     * ioctl requests carry their driver's type in bits 8-15; 0x94 is btrfs's. Its subvolume calls (create,
     * snapshot, destroy, set flags) are unprivileged on a btrfs volume and would let a sandbox nest subvolumes
     * that volume snapshots and seals do not see, or turn its volume read-only, so type 0x94 is refused except
     * the generic reflink and dedupe calls filesystems share: FICLONE, FICLONERANGE, FIDEDUPERANGE.
     */
    static final long IOCTL_TYPE_MASK = 0xFF00L, BTRFS_IOCTL_TYPE = 0x9400L;
    static final List<Long> SHARED_BTRFS_TYPE_IOCTLS = List.of(0x40049409L, 0x4020940DL, 0xC0189436L);
    /** PER_LINUX, PER_LINUX32, UNAME26, UNAME26 | PER_LINUX32, and the query 0xffffffff. */
    static final List<Long> PERSONALITIES = List.of(0x0L, 0x8L, 0x20000L, 0x20008L, 0xffffffffL);

    public static final List<String> ALLOWED = List.of(
            // files and directories
            "access", "chdir", "chmod", "chown", "chown32", "close", "close_range", "copy_file_range", "creat",
            "dup", "dup2", "dup3", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fchdir",
            "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
            "fgetxattr", "flistxattr", "flock", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64",
            "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futimesat", "getcwd", "getdents",
            "getdents64", "getxattr", "getxattrat", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listxattr",
            "listxattrat", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
            "mkdir", "mkdirat", "mknod", "mknodat", "newfstatat", "open", "openat", "openat2", "pread64", "preadv",
            "preadv2", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv",
            "removexattr", "removexattrat", "rename", "renameat", "renameat2", "rmdir", "sendfile", "sendfile64",
            "setxattr", "setxattrat", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink",
            "symlinkat", "sync", "sync_file_range", "sync_file_range2", "syncfs", "tee", "truncate", "truncate64",
            "umask", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "write", "writev",
            "chroot", "cachestat",
            // pipes
            "pipe", "pipe2", "vmsplice",
            // notification and multiplexing
            "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2",
            "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "inotify_add_watch", "inotify_init",
            "inotify_init1", "inotify_rm_watch", "poll", "ppoll", "ppoll_time64", "pselect6", "pselect6_time64",
            "select", "_newselect", "signalfd", "signalfd4", "timerfd_create", "timerfd_gettime",
            "timerfd_gettime64", "timerfd_settime", "timerfd_settime64",
            // asynchronous I/O (not io_uring)
            "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup",
            "io_submit",
            // processes, threads, credentials
            "capget", "capset", "execve", "execveat", "exit", "exit_group", "fork", "vfork", "getegid",
            "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getpgid",
            "getpgrp", "getpid", "getppid", "getpriority", "getresgid", "getresgid32", "getresuid", "getresuid32",
            "getrlimit", "ugetrlimit", "getrusage", "getsid", "gettid", "getuid", "getuid32", "prlimit64",
            "setrlimit", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
            "setgroups32", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
            "setresuid", "setresuid32", "setreuid", "setreuid32", "setsid", "setuid", "setuid32", "prctl",
            "arch_prctl", "set_tid_address", "get_thread_area", "set_thread_area", "set_tls", "get_robust_list",
            "set_robust_list", "rseq", "wait4", "waitid", "waitpid", "pidfd_open", "pidfd_send_signal",
            "process_mrelease", "ptrace", "seccomp", "landlock_add_rule", "landlock_create_ruleset",
            "landlock_restrict_self", "uname", "sysinfo", "getcpu", "getrandom", "restart_syscall",
            "ioprio_get", "ioprio_set", "times",
            // scheduling
            "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
            "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
            "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
            "sched_setscheduler", "sched_yield",
            // signals
            "kill", "tkill", "tgkill", "pause", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
            "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
            "rt_tgsigqueueinfo", "sigaltstack", "sigprocmask", "sigreturn", "alarm", "sigaction", "signal",
            "sigpending", "sigsuspend", "nice",
            // memory
            "brk", "get_mempolicy", "madvise", "map_shadow_stack", "mbind", "membarrier", "memfd_create",
            "mincore", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mremap", "mseal", "msync",
            "munlock", "munlockall", "munmap", "pkey_alloc", "pkey_free", "pkey_mprotect", "remap_file_pages",
            "set_mempolicy", "set_mempolicy_home_node", "cacheflush", "breakpoint", "riscv_flush_icache",
            // futexes and time
            "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake",
            "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
            "clock_nanosleep_time64", "getitimer", "gettimeofday", "nanosleep", "setitimer", "time",
            "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
            "timer_settime", "timer_settime64",
            // sockets
            "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen", "recv",
            "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send", "sendmmsg", "sendmsg", "sendto",
            "setsockopt", "shutdown", "socket", "socketcall", "socketpair",
            // SysV and POSIX IPC (the sandbox's own IPC namespace)
            "ipc", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
            "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd", "semctl",
            "semget", "semop", "semtimedop", "semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget",
            // ARM's own
            "arm_fadvise64_64", "arm_sync_file_range",
            // the kernel's return path of a uretprobe (x86_64)
            "uretprobe");

    public static SeccompProfile defaults() {
        return new SeccompProfile(ALLOWED,
                architecturesOf(System.getProperty("os.arch")));
    }

    /** The seccomp architectures of a JVM's {@code os.arch}: the native one and the compat ones it runs. */
    static List<String> architecturesOf(String osArch) {
        return switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
            case "aarch64", "arm64" -> List.of("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
            default -> throw new IllegalStateException("no seccomp profile for architecture " + osArch);
        };
    }

    /** {@code linux.seccomp} of config.json. */
    public Map<String, Object> toOci() {
        var rules = new ArrayList<Map<String, Object>>();
        rules.add(allow(allowed, null));
        // A clone may start threads and processes, never new namespaces (a user namespace would hand the
        // sandbox every capability inside it).
        rules.add(allow(List.of("clone"), List.of(arg(0, CLONE_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ"))));
        // clone3 passes its flags in memory, where seccomp cannot look: ENOSYS makes libc fall back to clone.
        var clone3 = new LinkedHashMap<String, Object>();
        clone3.put("names", List.of("clone3"));
        clone3.put("action", "SCMP_ACT_ERRNO");
        clone3.put("errnoRet", ENOSYS);
        rules.add(clone3);
        // Linux's own personalities only: READ_IMPLIES_EXEC and the like weaken the address space.
        for (long persona : PERSONALITIES) {
            rules.add(allow(List.of("personality"), List.of(arg(0, persona, 0, "SCMP_CMP_EQ"))));
        }
        // ioctl with any type but btrfs's: a type differs from 0x94 first at one of its 8 bits, so one masked
        // comparison per bit (the bits above it equal, that bit flipped) covers every other type.
        for (int bit = 15; bit >= 8; bit--) {
            long mask = IOCTL_TYPE_MASK & ~((1L << bit) - 1);
            long value = (BTRFS_IOCTL_TYPE ^ (1L << bit)) & mask;
            rules.add(allow(List.of("ioctl"), List.of(arg(1, mask, value, "SCMP_CMP_MASKED_EQ"))));
        }
        for (long request : SHARED_BTRFS_TYPE_IOCTLS) {
            rules.add(allow(List.of("ioctl"), List.of(arg(1, request, 0, "SCMP_CMP_EQ"))));
        }
        var profile = new LinkedHashMap<String, Object>();
        profile.put("defaultAction", "SCMP_ACT_ERRNO");
        profile.put("defaultErrnoRet", EPERM);
        profile.put("architectures", architectures);
        profile.put("syscalls", rules);
        return profile;
    }

    private static Map<String, Object> allow(List<String> names, List<Map<String, Object>> args) {
        var r = new LinkedHashMap<String, Object>();
        r.put("names", names);
        r.put("action", "SCMP_ACT_ALLOW");
        if (args != null) {
            r.put("args", args);
        }
        return r;
    }

    private static Map<String, Object> arg(int index, long value, long valueTwo, String op) {
        var a = new LinkedHashMap<String, Object>();
        a.put("index", index);
        a.put("value", value);
        a.put("valueTwo", valueTwo);
        a.put("op", op);
        return a;
    }
}
