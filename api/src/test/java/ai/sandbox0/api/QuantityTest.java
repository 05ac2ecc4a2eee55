package ai.sandbox0.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class QuantityTest {

    @Test
    void cpuInMillicores() {
        assertThat(Quantity.millicpu("500m")).isEqualTo(500);
        assertThat(Quantity.millicpu("2")).isEqualTo(2000);
        assertThat(Quantity.millicpu("0.5")).isEqualTo(500);
        assertThat(Quantity.millicpu("1.0005")).isEqualTo(1001); // rounded up
        assertThat(Quantity.millicpu("1e0")).isEqualTo(1000);
    }

    @Test
    void memoryInBytes() {
        assertThat(Quantity.bytes("2Gi")).isEqualTo(2L << 30);
        assertThat(Quantity.bytes("512Mi")).isEqualTo(512L << 20);
        assertThat(Quantity.bytes("1G")).isEqualTo(1_000_000_000L);
        assertThat(Quantity.bytes("1.5Gi")).isEqualTo(3L << 29);
        assertThat(Quantity.bytes("1Ei")).isEqualTo(1L << 60);
        assertThat(Quantity.bytes("1E")).isEqualTo(1_000_000_000_000_000_000L);
        assertThat(Quantity.bytes("3e3")).isEqualTo(3000);
        assertThat(Quantity.bytes("128974848")).isEqualTo(128974848);
    }

    @Test
    void garbageIsRefusedWithTheText() {
        assertThatThrownBy(() -> Quantity.bytes("2 GB")).hasMessageContaining("\"2 GB\" is not a quantity");
        assertThatThrownBy(() -> Quantity.bytes("Gi")).hasMessageContaining("is not a quantity");
        assertThatThrownBy(() -> Quantity.bytes("")).hasMessageContaining("empty");
    }

    @Test
    void formatting() {
        assertThat(Quantity.formatBytes(2L << 30)).isEqualTo("2Gi");
        assertThat(Quantity.formatBytes(512L << 20)).isEqualTo("512Mi");
        assertThat(Quantity.formatBytes(1000)).isEqualTo("1000");
        assertThat(Quantity.formatMillicpu(500)).isEqualTo("500m");
        assertThat(Quantity.formatMillicpu(2000)).isEqualTo("2");
    }
}
