package ai.sandbox0.node.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sandbox resolver in front of a real nameserver (dnsmasq), asked by clients on loopback addresses that
 * stand for sandboxes: 127.0.0.2 and 127.0.0.4 are registered, 127.0.0.3 is not.
 */
class SandboxResolverTest {

    private static final InetAddress SANDBOX = address("127.0.0.2");
    private static final InetAddress STRANGER = address("127.0.0.3");
    private static final InetAddress NEIGHBOUR = address("127.0.0.4");
    /** Queries for names below slow.test go to a server that never answers. */
    private static DatagramSocket blackHole;
    private static Dnsmasq upstream;
    private static EgressPolicies policies;
    private static ResolvedNames names;
    private static SandboxResolver resolver;

    private static final String POLICY = """
            {"mode":"allow-all","egress":{"trafficRules":[
              {"name":"no-blocked","action":"deny","domains":["blocked.test"]},
              {"name":"no-tunnel","action":"deny","domains":["*.tunnel.test"]}]}}""";

    @BeforeAll
    static void start() throws Exception {
        blackHole = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        var records = new ArrayList<>(List.of("--address=/allowed.test/198.18.0.7", "--address=/blocked.test/198.18.0.8",
                "--address=/tunnel.test/198.18.0.10", "--address=/other.test/198.18.0.11",
                "--address=/notblocked.test/198.18.0.12",
                "--host-record=target.test,198.18.0.9,2001:db8::9", "--cname=alias.test,target.test",
                "--txt-record=hello.test,hello from upstream",
                "--server=/slow.test/127.0.0.1#" + blackHole.getLocalPort()));
        // one TXT record of 8 strings of 250 bytes: more than the 1232 bytes dnsmasq sends over UDP
        var big = new StringBuilder("--txt-record=big.test");
        for (int i = 0; i < 8; i++) {
            big.append(',').append(String.valueOf((char) ('a' + i)).repeat(250));
        }
        records.add(big.toString());
        upstream = Dnsmasq.start(records);
        policies = new EgressPolicies();
        names = new ResolvedNames(policies);
        resolver = SandboxResolver.start(policies, names, settings(2, 256));
    }

    @AfterAll
    static void stop() throws Exception {
        try (var u = upstream; var r = resolver; var b = blackHole) {
            // closed in reverse order, each even if another fails
        }
    }

    @BeforeEach
    void register() {
        policies.put("sbx-one", SANDBOX, policy(POLICY));
        policies.put("sbx-two", NEIGHBOUR, policy(POLICY));
    }

    @AfterEach
    void unregister() {
        policies.remove(SANDBOX);
        policies.remove(NEIGHBOUR);
    }

    @Test
    void allowedNamesGetTheUpstreamAnswerAndAreRecorded() throws Exception {
        var reply = client(SANDBOX).udp("Allowed.test", DnsMessage.TYPE_A);

        assertEquals(DnsMessage.NOERROR, reply.rcode());
        assertEquals(List.of(address("198.18.0.7")), reply.addresses());
        assertEquals(Optional.of("allowed.test"), names.nameOf(SANDBOX, address("198.18.0.7")));
        assertEquals(Optional.empty(), names.nameOf(NEIGHBOUR, address("198.18.0.7")), "recorded per sandbox");

        var txt = client(SANDBOX).udp("hello.test", DnsClient.TXT);
        assertEquals(DnsMessage.NOERROR, txt.rcode());
        assertTrue(txt.contains("hello from upstream"), "TXT answers are relayed as they are");
    }

    @Test
    void blockedNamesAreNxdomainAndNeverLeaveTheNode() throws Exception {
        long blockedBefore = resolver.stats().blocked();
        var dnsClient = client(SANDBOX);

        var plain = dnsClient.udp("blocked.test", DnsMessage.TYPE_A);
        var withEdns = dnsClient.udp(DnsClient.query("blocked.test", DnsMessage.TYPE_A, 1232));
        var tunnel = dnsClient.udp(DnsClient.query("bmV2ZXIgbGVhaw.exfil.tunnel.test", DnsClient.TXT, 1232));
        var tcp = dnsClient.tcp(DnsClient.query("data.tunnel.test", DnsMessage.TYPE_A, 0)).getFirst();

        for (var r : List.of(plain, withEdns, tunnel, tcp)) {
            assertEquals(DnsMessage.NXDOMAIN, r.rcode());
            assertTrue(r.addresses().isEmpty());
        }
        assertEquals(-1, plain.message().extendedError(), "no EDNS in the query, none in the answer");
        assertEquals(15, withEdns.message().extendedError(), "EDE Blocked");
        assertEquals(15, tunnel.message().extendedError());
        assertEquals(4, resolver.stats().blocked() - blockedBefore);

        assertEquals(List.of(address("198.18.0.12")), dnsClient.udp("notblocked.test", DnsMessage.TYPE_A).addresses(),
                "a name that merely ends like a blocked one is forwarded");
        // *.tunnel.test covers the apex too
        assertEquals(DnsMessage.NXDOMAIN, dnsClient.udp("tunnel.test", DnsMessage.TYPE_A).rcode());

        dnsClient.udp("allowed.test", DnsMessage.TYPE_A);
        upstream.awaitQuery("allowed.test");
        assertTrue(upstream.queries().stream().noneMatch(l -> l.contains(" blocked.test") || l.contains("tunnel.test")),
                "upstream saw a blocked name: " + upstream.queries());
    }

    @Test
    void addressesThatAreNoSandboxAreRefused() throws Exception {
        long refusedBefore = resolver.stats().refused();

        var reply = client(STRANGER).udp(DnsClient.query("refused-stranger.allowed.test", DnsMessage.TYPE_A, 1232));
        var overTcp = client(STRANGER).tcp(DnsClient.query("refused-stranger.allowed.test", DnsMessage.TYPE_A, 0));

        assertEquals(DnsMessage.REFUSED, reply.rcode());
        assertEquals(18, reply.message().extendedError(), "EDE Prohibited");
        assertEquals(DnsMessage.REFUSED, overTcp.getFirst().rcode());
        assertEquals(2, resolver.stats().refused() - refusedBefore);

        client(SANDBOX).udp("after-stranger.allowed.test", DnsMessage.TYPE_A);
        upstream.awaitQuery("after-stranger.allowed.test");
        assertTrue(upstream.queries().stream().noneMatch(l -> l.contains("refused-stranger")));
    }

    @Test
    void aliasesAreRecordedUnderTheNameAskedUntilTheSandboxGoes() throws Exception {
        var a = client(SANDBOX).udp("alias.test", DnsMessage.TYPE_A);
        var aaaa = client(SANDBOX).udp("alias.test", DnsMessage.TYPE_AAAA);

        assertEquals(List.of(address("198.18.0.9")), a.addresses());
        assertTrue(a.message().answers().stream().anyMatch(r -> "target.test".equals(r.target())), "the CNAME is relayed");
        assertEquals(List.of(address("2001:db8::9")), aaaa.addresses());
        assertEquals(Optional.of("alias.test"), names.nameOf(SANDBOX, address("198.18.0.9")));
        assertEquals(Optional.of("alias.test"), names.nameOf(SANDBOX, address("2001:db8::9")));

        policies.remove(SANDBOX);

        assertEquals(Optional.empty(), names.nameOf(SANDBOX, address("198.18.0.9")));
        assertEquals(0, names.size(SANDBOX));
        assertEquals(DnsMessage.REFUSED, client(SANDBOX).udp("alias.test", DnsMessage.TYPE_A).rcode(),
                "a removed sandbox has no resolver");
    }

    @Test
    void tcpCarriesSeveralQueriesAndTheAnswersUdpCannot() throws Exception {
        var dnsClient = client(SANDBOX);

        var replies = dnsClient.tcp(DnsClient.query("allowed.test", DnsMessage.TYPE_A, 0),
                DnsClient.query("big.test", DnsClient.TXT, 0), DnsClient.query("blocked.test", DnsMessage.TYPE_A, 0));
        assertEquals(List.of(address("198.18.0.7")), replies.get(0).addresses());
        assertEquals(1, replies.get(1).answerCount());
        assertTrue(replies.get(1).raw().length > 1232 && replies.get(1).contains("h".repeat(250)));
        assertEquals(DnsMessage.NXDOMAIN, replies.get(2).rcode());

        var classic = dnsClient.udp("big.test", DnsClient.TXT);
        assertTrue(classic.message().truncated(), "too big for 512 bytes: truncated, so the client asks over TCP");
        assertEquals(0, classic.answerCount());
        assertTrue(classic.raw().length <= 512);

        long asked = upstream.queries().stream().filter(l -> l.contains("] big.test from")).count();
        var large = dnsClient.udp(DnsClient.query("big.test", DnsClient.TXT, 4096));
        assertFalse(large.message().truncated(), "the node fetched it over TCP and it fits the client's 4096");
        assertEquals(1, large.answerCount());
        assertTrue(large.raw().length > 1232 && large.contains("h".repeat(250)));
        assertEquals(asked + 2, upstream.queries().stream().filter(l -> l.contains("] big.test from")).count(),
                "asked upstream over UDP (truncated at 1232) and again over TCP");
    }

    @Test
    void aPolicyChangeAppliesToTheNextQuery() throws Exception {
        var dnsClient = client(SANDBOX);
        assertEquals(List.of(address("198.18.0.11")), dnsClient.udp("other.test", DnsMessage.TYPE_A).addresses());

        policies.put("sbx-one", SANDBOX, policy("""
                {"mode":"block-all","egress":{"allowedDomains":["allowed.test"]}}"""));

        var other = dnsClient.udp(DnsClient.query("other.test", DnsMessage.TYPE_A, 1232));
        assertEquals(DnsMessage.NXDOMAIN, other.rcode());
        assertEquals(15, other.message().extendedError());
        assertEquals(List.of(address("198.18.0.7")), dnsClient.udp("allowed.test", DnsMessage.TYPE_A).addresses());
        assertEquals(List.of(address("198.18.0.11")), client(NEIGHBOUR).udp("other.test", DnsMessage.TYPE_A).addresses(),
                "the other sandbox keeps its own policy");
    }

    @Test
    void garbageIsDroppedAndTheNextQueryIsAnswered() throws Exception {
        var dnsClient = client(SANDBOX);
        long droppedBefore = resolver.stats().dropped();
        byte[] random = new byte[300];
        new java.util.Random(14).nextBytes(random);
        random[2] &= 0x7f; // a "query", not a response, so it goes through the parser
        byte[] loop = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xc0, 0x0c, 0, 1, 0, 1};
        byte[] overrun = {0x12, 0x35, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 60, 'a', 'b'};
        byte[] response = DnsClient.query("allowed.test", DnsMessage.TYPE_A, 0);
        response[2] |= (byte) 0x80;

        dnsClient.send(new byte[0], new byte[] {1, 2, 3, 4, 5}, random, loop, overrun, response);
        assertTrue(dnsClient.tcpClosedAfter(loop), "a TCP client sending garbage is cut off");

        assertEquals(List.of(address("198.18.0.7")), dnsClient.udp("allowed.test", DnsMessage.TYPE_A).addresses());
        assertEquals(List.of(address("198.18.0.7")),
                dnsClient.tcp(DnsClient.query("allowed.test", DnsMessage.TYPE_A, 0)).getFirst().addresses());
        assertTrue(resolver.stats().dropped() - droppedBefore >= 5, "dropped: " + resolver.stats());
    }

    @Test
    void reverseLookupsOfPrivateNetworksStayOnTheNode() throws Exception {
        var reply = client(SANDBOX).udp("5.0.168.192.in-addr.arpa", DnsMessage.TYPE_PTR);
        var v6 = client(SANDBOX).udp("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa",
                DnsMessage.TYPE_PTR);

        assertEquals(DnsMessage.NXDOMAIN, reply.rcode());
        assertEquals(DnsMessage.NXDOMAIN, v6.rcode());
        client(SANDBOX).udp("after-ptr.allowed.test", DnsMessage.TYPE_A);
        upstream.awaitQuery("after-ptr.allowed.test");
        assertTrue(upstream.queries().stream().noneMatch(l -> l.contains("in-addr.arpa") || l.contains("ip6.arpa")));
    }

    @Test
    void oneSandboxFloodingLeavesOthersTheirAnswers() throws Exception {
        try (var small = SandboxResolver.start(policies, names, settings(1, 2))) {
            var flooder = new DnsClient(SANDBOX, small.port());

            var third = flooder.udpBurst(DnsClient.query("one.slow.test", DnsMessage.TYPE_A, 0),
                    DnsClient.query("two.slow.test", DnsMessage.TYPE_A, 0),
                    DnsClient.query("three.slow.test", DnsMessage.TYPE_A, 0));

            assertEquals(DnsMessage.SERVFAIL, third.rcode(), "over its 2 outstanding queries");
            assertEquals(List.of(address("198.18.0.7")),
                    new DnsClient(NEIGHBOUR, small.port()).udp("allowed.test", DnsMessage.TYPE_A).addresses());
            assertEquals(1, small.stats().failed());
        }
    }

    private static SandboxResolver.Settings settings(int attempts, int maxInFlight) {
        var platform = new PlatformRules(PlatformRules.DEFAULT_PRIVATE_RANGES, "10.88.0.0/16");
        return new SandboxResolver.Settings(0, List.of(upstream.address()), Duration.ofSeconds(2), attempts, maxInFlight,
                platform.deniedRanges());
    }

    private static DnsClient client(InetAddress from) {
        return new DnsClient(from, resolver.port());
    }

    private static EgressPolicy policy(String json) {
        try {
            return EgressPolicy.compile(Json.mapper().readValue(json, SandboxNetworkPolicy.class));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
