package ai.sandbox0.server.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The spelling of paths and ids the volume API accepts. */
class VolumePathsTest {

    @Test
    void pathsAreCleanedAsUpstreamCleansThem() {
        assertThat(VolumePaths.clean("/docs/readme.txt", "path")).isEqualTo("/docs/readme.txt");
        assertThat(VolumePaths.clean("docs//a/./b/../c/", "path")).isEqualTo("/docs/a/c");
        assertThat(VolumePaths.clean("/../../etc/passwd", "path")).isEqualTo("/etc/passwd");
        assertThat(VolumePaths.clean("/", "path")).isEqualTo("/");
        assertThat(VolumePaths.clean("..", "path")).isEqualTo("/");
        assertThatThrownBy(() -> VolumePaths.clean("", "path"))
                .hasMessage("path is required");
        assertThatThrownBy(() -> VolumePaths.clean("/a\0b", "path"))
                .hasMessageContaining("NUL");
    }

    @Test
    void idsAreLowerCaseUuids() {
        assertThat(VolumeIds.valid(VolumeIds.next())).isTrue();
        assertThat(VolumeIds.valid("00000000-0000-4000-8000-000000000000")).isTrue();
        assertThat(VolumeIds.valid("00000000-0000-4000-8000-00000000000G")).isFalse();
        assertThat(VolumeIds.valid("vol_123")).isFalse();
        assertThat(VolumeIds.valid("../../etc")).isFalse();
        assertThat(VolumeIds.valid(null)).isFalse();
    }
}
