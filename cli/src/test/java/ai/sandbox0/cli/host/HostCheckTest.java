package ai.sandbox0.cli.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostCheckTest {

    @TempDir
    Path dir;

    private Path filesystems(String content) throws Exception {
        return Files.writeString(dir.resolve("filesystems"), content);
    }

    @Test
    void readyHostHasNothingToReport() throws Exception {
        var check = new HostCheck("Linux", "6.1.0-28-amd64", true, filesystems("nodev\tproc\n\text4\nnodev\toverlay\n"),
                binary -> Optional.of(Path.of("/usr/bin", binary)));

        HostCheck.Report report = check.check(HostCheck.SERVER);

        assertThat(report.ready()).isTrue();
        assertThat(report.overlayfs()).isTrue();
    }

    @Test
    void missingProgramsBecomeOneInstallCommand() throws Exception {
        Set<String> present = Set.of("runc");
        var check = new HostCheck("Linux", "6.1.0-28-amd64", true, filesystems("nodev\toverlay\n"),
                binary -> present.contains(binary) ? Optional.of(Path.of("/usr/bin", binary)) : Optional.empty());

        HostCheck.Report report = check.check(HostCheck.TESTS);

        assertThat(report.ready()).isFalse();
        assertThat(report.problems()).isEmpty();
        assertThat(report.missingPackages()).containsExactly("tini", "debootstrap", "iproute2", "nftables", "e2fsprogs",
                "mount", "btrfs-progs", "python3", "nodejs", "npm", "docker-registry", "openssl", "postgresql",
                "openssh-client");
        assertThat(report.installCommand()).isEqualTo("apt-get install -y tini debootstrap iproute2 nftables e2fsprogs"
                + " mount btrfs-progs python3 nodejs npm docker-registry openssl postgresql openssh-client");
    }

    @Test
    void nonRootWithoutOverlayGetsProblemsAndSudo() throws Exception {
        var check = new HostCheck("Linux", "6.1.0-28-amd64", false, filesystems("nodev\tproc\n"), binary -> Optional.empty());

        HostCheck.Report report = check.check(HostCheck.SERVER);

        assertThat(report.problems()).anySatisfy(p -> assertThat(p).contains("need root"));
        assertThat(report.problems()).anySatisfy(p -> assertThat(p).contains("overlayfs"));
        assertThat(report.installCommand()).startsWith("sudo apt-get install -y runc");
    }

    @Test
    void notLinuxIsAProblem() throws Exception {
        var check = new HostCheck("Mac OS X", "23.1.0", true, dir.resolve("none"), binary -> Optional.of(Path.of("/x")));

        assertThat(check.check(HostCheck.SERVER).problems()).anySatisfy(p -> assertThat(p).contains("need Linux"));
    }

    @Test
    void aKernelWithoutIdmappedOverlayLayersIsAProblemNamingItsRelease() throws Exception {
        var old = new HostCheck("Linux", "5.10.0-30-amd64", true, filesystems("nodev\toverlay\n"),
                binary -> Optional.of(Path.of("/usr/bin", binary)));
        assertThat(old.check(HostCheck.SERVER).problems()).singleElement().asString()
                .contains("Linux 5.19 or newer").contains("5.10.0-30-amd64");
        assertThat(HostCheck.kernelAtLeast("5.19.0", HostCheck.MIN_KERNEL)).isTrue();
        assertThat(HostCheck.kernelAtLeast("6.1.0-28-amd64", HostCheck.MIN_KERNEL)).isTrue();
        assertThat(HostCheck.kernelAtLeast("5.18.19", HostCheck.MIN_KERNEL)).isFalse();
        assertThat(HostCheck.kernelAtLeast("4.19.0", HostCheck.MIN_KERNEL)).isFalse();
        assertThat(HostCheck.kernelAtLeast("garbage", HostCheck.MIN_KERNEL)).isFalse();
    }
}
