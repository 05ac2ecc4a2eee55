package ai.sandbox0.node.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The resolver's reading of messages, reverse names and the host's resolv.conf. */
class SandboxResolverWireTest {

    @Test
    void localAnswersKeepTheQueryAndCarryTheExtendedErrorOnlyWithEdns() throws Exception {
        byte[] raw = DnsClient.query("Blocked.Example", DnsMessage.TYPE_AAAA, 1232);
        DnsMessage query = DnsMessage.parse(raw);

        DnsMessage answer = DnsMessage.parse(DnsMessage.answer(query, raw, DnsMessage.NXDOMAIN,
                DnsMessage.ExtendedError.BLOCKED));

        assertEquals(query.id(), answer.id());
        assertTrue(answer.isResponse());
        assertEquals(DnsMessage.NXDOMAIN, answer.rcode());
        assertEquals(List.of(new DnsMessage.Question("blocked.example", DnsMessage.TYPE_AAAA, 1)), answer.questions());
        assertEquals(15, answer.extendedError());

        byte[] classic = DnsClient.query("blocked.example", DnsMessage.TYPE_A, 0);
        DnsMessage plain = DnsMessage.parse(DnsMessage.answer(DnsMessage.parse(classic), classic, DnsMessage.NXDOMAIN,
                DnsMessage.ExtendedError.BLOCKED));
        assertFalse(plain.edns());
        assertEquals(-1, plain.extendedError());
    }

    @Test
    void malformedMessagesAreRefusedByTheParser() {
        byte[] selfPointer = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xc0, 12, 0, 1, 0, 1};
        byte[] tooManyQuestions = {0, 1, 1, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1};
        byte[] labelOverrun = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63, 'x'};
        for (byte[] m : List.of(new byte[5], selfPointer, tooManyQuestions, labelOverrun)) {
            assertThrows(DnsMessage.Malformed.class, () -> DnsMessage.parse(m));
        }
    }

    @Test
    void reverseNamesOfPrivateAndPoolNetworksAreRecognised() {
        var denied = new PlatformRules(PlatformRules.DEFAULT_PRIVATE_RANGES, "10.88.0.0/16").deniedRanges();

        assertEquals(Optional.of(IpRange.parse("192.168.0.5/32")), ReverseName.of("5.0.168.192.in-addr.arpa."));
        assertEquals(Optional.of(IpRange.parse("10.0.0.0/8")), ReverseName.of("10.IN-ADDR.ARPA"));
        assertTrue(ReverseName.within("7.1.88.10.in-addr.arpa", denied));
        assertTrue(ReverseName.within("16.172.in-addr.arpa", denied));
        assertTrue(ReverseName.within("d.f.ip6.arpa", denied), "fd00::/8 inside fc00::/7");
        assertFalse(ReverseName.within("172.in-addr.arpa", denied), "172/8 is wider than 172.16/12");
        assertFalse(ReverseName.within("34.216.184.93.in-addr.arpa", denied));
        assertFalse(ReverseName.within("256.1.1.10.in-addr.arpa", denied));
        assertFalse(ReverseName.within("example.com", denied));
    }

    @Test
    void resolvConfGivesTheFirstThreeNameserversAndTheOptions() {
        var conf = HostResolvConf.parse("""
                # generated
                search corp.example
                nameserver 10.0.0.2
                nameserver fe80::1%1
                ; nameserver 9.9.9.9
                nameserver not-an-address
                nameserver 127.0.0.53
                nameserver 192.0.2.1
                options edns0 timeout:1 attempts:3
                """);

        assertEquals(List.of(new InetSocketAddress(address("10.0.0.2"), 53), new InetSocketAddress(address("fe80::1%1"), 53),
                new InetSocketAddress(address("127.0.0.53"), 53)), conf.nameservers());
        assertEquals(Duration.ofSeconds(1), conf.timeout());
        assertEquals(3, conf.attempts());

        var empty = HostResolvConf.parse("search example\n");
        assertEquals(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 53)), empty.nameservers());
        assertEquals(Duration.ofSeconds(5), empty.timeout());

        var settings = SandboxResolver.Settings.fromHost(53, empty, List.of());
        assertEquals(SandboxResolver.Settings.MAX_TIMEOUT, settings.timeout(),
                "the node answers before a sandbox's own resolver gives up");
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
