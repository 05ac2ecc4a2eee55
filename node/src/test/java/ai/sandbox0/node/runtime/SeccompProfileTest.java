package ai.sandbox0.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The filter's shape: an allow-list whose default is EPERM, with clone, clone3 and personality narrowed. */
class SeccompProfileTest {

    private final JsonNode profile = Json.mapper().valueToTree(
            new SeccompProfile(SeccompProfile.ALLOWED, SeccompProfile.architecturesOf("amd64")).toOci());

    private List<String> allowedNames() {
        var names = new ArrayList<String>();
        profile.at("/syscalls/0/names").forEach(n -> names.add(n.asText()));
        return names;
    }

    @Test
    void everythingNotListedFailsWithEperm() {
        assertThat(profile.get("defaultAction").asText()).isEqualTo("SCMP_ACT_ERRNO");
        assertThat(profile.get("defaultErrnoRet").asInt()).isEqualTo(1);
        assertThat(profile.at("/syscalls/0/action").asText()).isEqualTo("SCMP_ACT_ALLOW");
        assertThat(allowedNames()).contains("read", "write", "openat", "execve", "wait4", "futex", "socket", "chroot",
                "pidfd_open", "rseq", "membarrier", "pipe2", "pipe");
        assertThat(allowedNames()).doesNotContain("mount", "umount2", "fsopen", "move_mount", "open_tree",
                "pivot_root", "kexec_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
                "acct", "bpf", "perf_event_open", "keyctl", "add_key", "request_key", "userfaultfd", "unshare",
                "setns", "open_by_handle_at", "io_uring_setup", "io_uring_enter", "pidfd_getfd", "process_madvise",
                "process_vm_readv", "process_vm_writev", "kcmp", "settimeofday", "clock_settime", "iopl",
                "ioperm", "clone", "clone3", "personality");
        assertThat(SeccompProfile.ALLOWED).doesNotHaveDuplicates();
    }

    @Test
    void cloneWithoutNamespacesClone3FallsBackAndOnlyLinuxPersonalities() {
        JsonNode clone = profile.at("/syscalls/1");
        assertThat(clone.at("/names/0").asText()).isEqualTo("clone");
        assertThat(clone.get("action").asText()).isEqualTo("SCMP_ACT_ALLOW");
        assertThat(clone.at("/args/0/op").asText()).isEqualTo("SCMP_CMP_MASKED_EQ");
        assertThat(clone.at("/args/0/value").asLong()).as("every CLONE_NEW* flag").isEqualTo(0x7E020000L);
        assertThat(clone.at("/args/0/valueTwo").asLong()).isZero();
        JsonNode clone3 = profile.at("/syscalls/2");
        assertThat(clone3.at("/names/0").asText()).isEqualTo("clone3");
        assertThat(clone3.get("errnoRet").asInt()).as("ENOSYS, so libc falls back to clone").isEqualTo(38);
        var personas = new ArrayList<Long>();
        for (int i = 3; i < profile.get("syscalls").size(); i++) {
            if (profile.at("/syscalls/" + i + "/names/0").asText().equals("personality")) {
                personas.add(profile.at("/syscalls/" + i + "/args/0/value").asLong());
            }
        }
        assertThat(personas).containsExactly(0x0L, 0x8L, 0x20000L, 0x20008L, 0xffffffffL)
                .doesNotContain(0x0400000L); // READ_IMPLIES_EXEC
    }

    @Test
    void ioctlIsAllowedForEveryTypeButBtrfssSubvolumeCalls() {
        var allowedTypes = new java.util.TreeSet<Long>();
        for (long request = 0; request < 0x10000; request += 0x100) {
            if (ioctlAllowed(request | 0x0E) && ioctlAllowed(request | 0x40010001L)) {
                allowedTypes.add(request >> 8);
            }
        }
        assertThat(allowedTypes).hasSize(255).doesNotContain(0x94L);
        assertThat(ioctlAllowed(0x5401)).as("TCGETS").isTrue();
        assertThat(ioctlAllowed(0x40049409L)).as("FICLONE").isTrue();
        assertThat(ioctlAllowed(0xC0189436L)).as("FIDEDUPERANGE").isTrue();
        assertThat(ioctlAllowed(0x5000940EL)).as("BTRFS_IOC_SUBVOL_CREATE").isFalse();
        assertThat(ioctlAllowed(0x50009417L)).as("BTRFS_IOC_SNAP_CREATE_V2").isFalse();
        assertThat(ioctlAllowed(0x4008941AL)).as("BTRFS_IOC_SUBVOL_SETFLAGS").isFalse();
    }

    /** Whether some ioctl rule of the profile allows {@code request}, as the kernel's filter would decide. */
    private boolean ioctlAllowed(long request) {
        for (JsonNode rule : profile.get("syscalls")) {
            if (!rule.at("/names/0").asText().equals("ioctl") || !rule.get("action").asText().equals("SCMP_ACT_ALLOW")) {
                continue;
            }
            JsonNode arg = rule.at("/args/0");
            long value = arg.get("value").asLong(), valueTwo = arg.get("valueTwo").asLong();
            boolean match = switch (arg.get("op").asText()) {
                case "SCMP_CMP_MASKED_EQ" -> (request & value) == valueTwo;
                case "SCMP_CMP_EQ" -> request == value;
                default -> throw new AssertionError("unexpected op " + arg);
            };
            if (match) {
                return true;
            }
        }
        return false;
    }

    @Test
    void architecturesFollowTheHost() {
        assertThat(SeccompProfile.architecturesOf("amd64")).containsExactly("SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
                "SCMP_ARCH_X32");
        assertThat(SeccompProfile.architecturesOf("aarch64")).containsExactly("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
        assertThatThrownBy(() -> SeccompProfile.architecturesOf("sparc")).isInstanceOf(IllegalStateException.class);
    }
}
