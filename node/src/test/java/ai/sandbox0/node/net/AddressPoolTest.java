package ai.sandbox0.node.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AddressPoolTest {

    @TempDir
    Path dir;

    @Test
    void hostEndEvenSandboxEndOdd() throws Exception {
        var pool = new AddressPool(Cidr.parse("10.88.0.0/16"), dir);
        AddressLease a = pool.allocate("a");
        AddressLease b = pool.allocate("b");
        assertThat(a).isEqualTo(new AddressLease("a", 0, "10.88.0.0", "10.88.0.1"));
        assertThat(b).isEqualTo(new AddressLease("b", 1, "10.88.0.2", "10.88.0.3"));
        assertThat(pool.allocate("a")).isEqualTo(a);
        assertThat(pool.capacity()).isEqualTo(32768);
    }

    @Test
    void leasesSurviveARestartSoNoAddressIsHandedOutTwice() throws Exception {
        var pool = new AddressPool(Cidr.parse("10.88.0.0/24"), dir);
        pool.allocate("a");
        pool.allocate("b");
        pool.release("a");
        var restarted = new AddressPool(Cidr.parse("10.88.0.0/24"), dir);
        assertThat(restarted.leases()).extracting(AddressLease::sandboxId).containsExactly("b");
        assertThat(restarted.allocate("c").slot()).isNotEqualTo(restarted.leaseOf("b").orElseThrow().slot());
        assertThat(Files.readString(dir.resolve("1"))).isEqualTo("b");
    }

    @Test
    void exhaustionNamesThePool() throws Exception {
        var pool = new AddressPool(Cidr.parse("10.88.0.0/30"), dir);
        pool.allocate("a");
        pool.allocate("b");
        assertThatThrownBy(() -> pool.allocate("c")).hasMessageContaining("allocate address")
                .hasMessageContaining("10.88.0.0/30 exhausted");
    }

    @Test
    void cidrs() {
        assertThat(Cidr.parse("10.88.0.0/16").contains("10.88.3.4")).isTrue();
        assertThat(Cidr.parse("10.88.0.0/16").contains("10.89.0.1")).isFalse();
        assertThatThrownBy(() -> Cidr.parse("10.88.0.1/16")).hasMessageContaining("not a network address");
    }
}
