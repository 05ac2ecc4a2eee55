package ai.sandbox0.node.net;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.node.egress.EgressPolicies;
import ai.sandbox0.node.egress.EgressPolicy;
import ai.sandbox0.node.egress.PlatformRules;
import ai.sandbox0.node.runtime.SetupException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sandbox address that the host routes through someone else's interface must not become a sandbox. */
class LinuxNetworkRouteTest {

    @TempDir
    Path dir;

    private LinuxNetwork network(String routedVia) throws Exception {
        Path ip = dir.resolve("ip");
        Files.writeString(ip, "#!/bin/sh\ncat >/dev/null\ncase \"$*\" in *'route get'*) echo \"$6 dev "
                + routedVia + " src 10.88.0.0 uid 0 \\\\    cache\";; esac\nexit 0\n");
        Files.setPosixFilePermissions(ip, PosixFilePermissions.fromString("rwx------"));
        var names = new NetworkNames("s0");
        Path nft = dir.resolve("nft");
        Files.writeString(nft, "#!/bin/sh\ncat >/dev/null\nexit 0\n");
        Files.setPosixFilePermissions(nft, PosixFilePermissions.fromString("rwx------"));
        var firewall = new Firewall(nft, new FirewallRules(names, Cidr.parse("10.88.0.0/16"),
                new PlatformRules(PlatformRules.DEFAULT_PRIVATE_RANGES, "10.88.0.0/16"), 15001, 15053));
        return new LinuxNetwork(ip, dir, dir, dir.resolve("ip_forward"), names, firewall, new EgressPolicies());
    }

    private static final AddressLease LEASE = new AddressLease("sb1", 0, "10.88.0.0", "10.88.0.1");

    @Test
    void refusesAnAddressAnotherInterfaceRoutes() throws Exception {
        assertThatThrownBy(() -> network("s1v0").wire(LEASE, EgressPolicy.ALLOW_ALL))
                .isInstanceOf(SetupException.class).hasMessageContaining("routed elsewhere");
    }

    private LinuxNetwork networkShowing(String routes) throws Exception {
        Path ip = dir.resolve("ip");
        Files.writeString(ip, "#!/bin/sh\ncat <<'EOF'\n" + routes + "EOF\n");
        Files.setPosixFilePermissions(ip, PosixFilePermissions.fromString("rwx------"));
        var names = new NetworkNames("s0");
        Path nft = dir.resolve("nft");
        Files.writeString(nft, "#!/bin/sh\ncat >/dev/null\nexit 0\n");
        Files.setPosixFilePermissions(nft, PosixFilePermissions.fromString("rwx------"));
        var firewall = new Firewall(nft, new FirewallRules(names, Cidr.parse("10.88.0.0/16"),
                new PlatformRules(PlatformRules.DEFAULT_PRIVATE_RANGES, "10.88.0.0/16"), 15001, 15053));
        return new LinuxNetwork(ip, dir, dir, dir.resolve("ip_forward"), names, firewall, new EgressPolicies());
    }

    @Test
    void aNodeDoesNotOpenOnANetworkAnotherNodeRoutes() throws Exception {
        String others = "default via 192.168.1.1 dev eth0\n10.88.0.0/31 dev s1v0 proto kernel scope link src 10.88.0.0\n";
        assertThatThrownBy(() -> networkShowing(others).refuseOverlaps(Cidr.parse("10.88.0.0/16")))
                .isInstanceOf(SetupException.class).hasMessageContaining("overlaps").hasMessageContaining("s1v0");
        String ours = "default via 192.168.1.1 dev eth0\n10.88.0.2/31 dev s0v1 proto kernel scope link src 10.88.0.2\n"
                + "10.89.0.0/31 dev s1v0 proto kernel scope link src 10.89.0.0\n";
        assertThatCode(() -> networkShowing(ours).refuseOverlaps(Cidr.parse("10.88.0.0/16"))).doesNotThrowAnyException();
    }

    @Test
    void acceptsItsOwnRoute() throws Exception {
        assertThatCode(() -> network("s0v0").wire(LEASE, EgressPolicy.ALLOW_ALL)).doesNotThrowAnyException();
    }
}
