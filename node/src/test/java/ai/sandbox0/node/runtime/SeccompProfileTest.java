package ai.sandbox0.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;

class SeccompProfileTest {

    private final JsonNode profile = Json.mapper().valueToTree(SeccompProfile.defaults().toOci());

    @Test
    void allowsByDefaultAndRefusesTheDangerousCallsWithEperm() {
        assertThat(profile.get("defaultAction").asText()).isEqualTo("SCMP_ACT_ALLOW");
        JsonNode deny = profile.at("/syscalls/0");
        assertThat(deny.get("action").asText()).isEqualTo("SCMP_ACT_ERRNO");
        assertThat(deny.get("errnoRet").asInt()).isEqualTo(1);
        var names = new ArrayList<String>();
        deny.get("names").forEach(n -> names.add(n.asText()));
        assertThat(names).contains("mount", "umount2", "kexec_load", "init_module", "finit_module", "delete_module",
                "reboot", "swapon", "acct", "bpf", "perf_event_open", "keyctl", "add_key", "ptrace", "unshare",
                "setns", "open_by_handle_at", "io_uring_setup", "fsopen", "move_mount");
        assertThat(names).doesNotContain("clone", "execve", "read", "chroot");
    }

    @Test
    void cloneOfAUserNamespaceIsRefusedAndClone3FallsBack() {
        JsonNode clone = profile.at("/syscalls/1");
        assertThat(clone.at("/names/0").asText()).isEqualTo("clone");
        assertThat(clone.at("/args/0/op").asText()).isEqualTo("SCMP_CMP_MASKED_EQ");
        assertThat(clone.at("/args/0/value").asLong()).isEqualTo(0x10000000L);
        assertThat(clone.at("/args/0/valueTwo").asLong()).isEqualTo(0x10000000L);
        JsonNode clone3 = profile.at("/syscalls/2");
        assertThat(clone3.at("/names/0").asText()).isEqualTo("clone3");
        assertThat(clone3.get("errnoRet").asInt()).as("ENOSYS, so libc falls back to clone").isEqualTo(38);
    }
}
