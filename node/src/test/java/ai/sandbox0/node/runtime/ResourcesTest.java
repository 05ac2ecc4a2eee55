package ai.sandbox0.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.template.ResourceQuota;
import ai.sandbox0.node.Resources;
import org.junit.jupiter.api.Test;

class ResourcesTest {

    @Test
    void kubernetesQuantities() {
        assertThat(Resources.cpuMillis("500m")).isEqualTo(500);
        assertThat(Resources.cpuMillis("2")).isEqualTo(2000);
        assertThat(Resources.cpuMillis("1.5")).isEqualTo(1500);
        assertThat(Resources.bytes("2Gi")).isEqualTo(2L << 30);
        assertThat(Resources.bytes("512Mi")).isEqualTo(512L << 20);
        assertThat(Resources.bytes("1G")).isEqualTo(1_000_000_000L);
        assertThat(Resources.bytes("1.5Gi")).isEqualTo(3L << 29);
        assertThat(Resources.bytes("1048576")).isEqualTo(1L << 20);
    }

    @Test
    void fromATemplate() {
        Resources r = Resources.fromQuota(new ResourceQuota("500m", "2Gi", null));
        assertThat(r.cpuMillis()).isEqualTo(500);
        assertThat(r.memoryBytes()).isEqualTo(2L << 30);
        assertThat(r.ephemeralBytes()).isEqualTo(512L << 20);
    }

    @Test
    void nonsenseIsRefusedWithTheField() {
        assertThatThrownBy(() -> Resources.of("lots", "1Gi")).hasMessageContaining("cpu");
        assertThatThrownBy(() -> Resources.of("1", "1Xi")).hasMessageContaining("1Xi");
        assertThatThrownBy(() -> Resources.of("1", "1Mi")).hasMessageContaining("at least 32Mi");
        assertThatThrownBy(() -> Resources.of("0", "1Gi")).hasMessageContaining("cpu must be > 0");
    }
}
