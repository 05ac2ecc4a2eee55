package ai.sandbox0.node.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The installation CA: kept owner-only across restarts, signing per-host leaves it reuses while they last. */
class MitmAuthorityTest {

    @TempDir
    Path dir;

    @Test
    void theCaIsCreatedOnceOwnerOnlyAndReusedAfterARestart() throws Exception {
        MitmAuthority first = MitmAuthority.loadOrCreate(dir.resolve("egress"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("egress/mitm-ca.key"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("egress"))))
                .isEqualTo("rwx------");
        assertThat(first.certificatePem()).startsWith("-----BEGIN CERTIFICATE-----").doesNotContain("PRIVATE");
        assertThat(first.certificate().getBasicConstraints()).isZero();
        assertThat(first.certificate().getPublicKey().getAlgorithm()).isEqualTo("EC");

        MitmAuthority again = MitmAuthority.loadOrCreate(dir.resolve("egress"));
        assertThat(again.certificate()).isEqualTo(first.certificate());
        // A leaf of the reloaded CA verifies under the first one's certificate: the same key signs.
        again.leaf("api.example.com").certificate().verify(first.certificate().getPublicKey());
    }

    @Test
    void aLeafNamesItsHostLastsAnHourAndIsReusedUntilThirtySecondsBeforeItsEnd() throws Exception {
        var clock = new Clock() {
            Instant now = Instant.parse("2026-03-01T10:00:00Z");

            @Override
            public Instant instant() {
                return now;
            }

            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }
        };
        MitmAuthority ca = MitmAuthority.loadOrCreate(dir, clock);
        MitmAuthority.Leaf leaf = ca.leaf("API.Example.com");
        X509Certificate cert = leaf.certificate();
        cert.verify(ca.certificate().getPublicKey());
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=api.example.com");
        assertThat(cert.getSubjectAlternativeNames()).containsExactly(List.of(2, "api.example.com"));
        assertThat(cert.getNotAfter().toInstant()).isEqualTo(clock.now.plus(Duration.ofHours(1)));
        assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(ca.leaf("api.example.com")).isSameAs(leaf);

        clock.now = clock.now.plus(Duration.ofMinutes(59));
        assertThat(ca.leaf("api.example.com")).isSameAs(leaf);
        clock.now = clock.now.plus(Duration.ofSeconds(31));
        assertThat(ca.leaf("api.example.com")).isNotSameAs(leaf);

        assertThat(ca.leaf("198.18.77.2").certificate().getSubjectAlternativeNames())
                .containsExactly(List.of(7, "198.18.77.2"));
    }
}
