package ai.sandbox0.node.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy's SSH host key: made once, kept owner-only, the same after a restart, its public line beside it. */
class SshHostKeyTest {

    @TempDir
    Path dir;

    @Test
    void theKeyIsKeptAcrossLoadsWithItsPublicLineBesideIt() throws Exception {
        SshHostKey first = SshHostKey.loadOrCreate(dir.resolve("egress"));
        SshHostKey again = SshHostKey.loadOrCreate(dir.resolve("egress"));

        assertThat(again.publicKey()).isEqualTo(first.publicKey()).startsWith("ecdsa-sha2-nistp256 ");
        assertThat(again.fingerprint()).isEqualTo(first.fingerprint()).startsWith("SHA256:");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("egress/ssh-proxy-host-key"))))
                .isEqualTo("rw-------");
        assertThat(Files.readString(dir.resolve("egress/ssh-proxy-host-key.pub")).strip()).isEqualTo(first.publicKey());
        assertThat(first.toString()).doesNotContain("PRIVATE").contains(first.fingerprint());
        assertThat(SshHostKey.ephemeral().publicKey()).isNotEqualTo(first.publicKey());
    }
}
