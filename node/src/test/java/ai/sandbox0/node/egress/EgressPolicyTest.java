package ai.sandbox0.node.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.network.TrafficRuleAppProtocol;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class EgressPolicyTest {

    private static EgressPolicy policy(String json) {
        try {
            return EgressPolicy.compile(Json.mapper().readValue(json, SandboxNetworkPolicy.class));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Destination tcp(String ip, int port) throws Exception {
        return Destination.of(InetAddress.getByName(ip), port, Transport.TCP);
    }

    private static Destination udp(String ip, int port) throws Exception {
        return Destination.of(InetAddress.getByName(ip), port, Transport.UDP);
    }

    @Test
    void noPolicyAllowsEverything() throws Exception {
        assertTrue(EgressPolicy.ALLOW_ALL.decide(tcp("93.184.216.34", 443)).allowed());
        assertTrue(EgressPolicy.ALLOW_ALL.resolvable("example.com"));
    }

    @Test
    void firstMatchingTrafficRuleWinsAndNoMatchFallsBackToTheMode() throws Exception {
        var p = policy("""
                {"mode":"block-all","egress":{"trafficRules":[
                  {"name":"no-admin","action":"deny","domains":["admin.example.com"]},
                  {"name":"example","action":"allow","domains":["*.example.com"],"ports":[{"port":443}]},
                  {"action":"allow","cidrs":["203.0.113.0/24"],"ports":[{"port":5000,"endPort":5010,"protocol":"udp"}]}
                ]}}""");
        Destination api = tcp("93.184.216.34", 443).withHost("api.example.com");
        assertEquals(new Verdict(true, "example"), p.decide(api));
        assertEquals(new Verdict(false, "no-admin"), p.decide(tcp("93.184.216.34", 443).withHost("ADMIN.example.com.")));
        assertEquals(new Verdict(true, "example"), p.decide(tcp("93.184.216.34", 443).withHost("example.com")),
                "*.example.com covers the apex too");
        assertFalse(p.decide(tcp("93.184.216.34", 80).withHost("api.example.com")).allowed(), "port not listed");
        assertFalse(p.decide(tcp("93.184.216.34", 443)).allowed(), "a domain rule needs the host");
        assertFalse(p.decide(tcp("93.184.216.34", 443).withHost("notexample.com")).allowed());
        assertEquals(new Verdict(true, "trafficRules[2]"), p.decide(udp("203.0.113.9", 5005)));
        assertFalse(p.decide(tcp("203.0.113.9", 5005)).allowed(), "the range is udp only");
        assertFalse(p.decide(udp("203.0.113.9", 5011)).allowed());
    }

    @Test
    void appProtocolsMatchClassifiedFlowsAndUdpMatchesAnyDatagram() throws Exception {
        var p = policy("""
                {"mode":"allow-all","egress":{"trafficRules":[
                  {"action":"deny","appProtocols":["ssh","udp"]}]}}""");
        assertFalse(p.decide(tcp("198.51.100.1", 2222).withApp(TrafficRuleAppProtocol.SSH)).allowed());
        assertTrue(p.decide(tcp("198.51.100.1", 2222).withApp(TrafficRuleAppProtocol.HTTP)).allowed());
        assertTrue(p.decide(tcp("198.51.100.1", 2222)).allowed(), "not yet classified");
        assertFalse(p.decide(udp("198.51.100.1", 443)).allowed());
    }

    @Test
    void legacyAllowAllEnforcesOnlyTheDeniedFields() throws Exception {
        var p = policy("""
                {"mode":"allow-all","egress":{"deniedCidrs":["198.51.100.0/24","2001:db8::/32"],
                  "deniedDomains":["*.blocked.test"],"deniedPorts":[{"port":25}],
                  "allowedCidrs":["198.51.100.7/32"]}}""");
        assertFalse(p.decide(tcp("198.51.100.7", 443)).allowed(), "allowed* is not enforced in allow-all");
        assertFalse(p.decide(tcp("::ffff:198.51.100.7", 443)).allowed(), "an IPv4-mapped spelling is the same address");
        assertFalse(p.decide(tcp("2001:db8::1", 443)).allowed());
        assertFalse(p.decide(tcp("192.0.2.1", 25)).allowed());
        assertFalse(p.decide(tcp("192.0.2.1", 443).withHost("x.blocked.test")).allowed());
        assertTrue(p.decide(tcp("192.0.2.1", 443).withHost("ok.test")).allowed());
        assertFalse(p.resolvable("deep.x.blocked.test"));
        assertTrue(p.resolvable("ok.test"));
    }

    @Test
    void legacyBlockAllEnforcesOnlyTheAllowedFields() throws Exception {
        var p = policy("""
                {"mode":"block-all","egress":{"allowedCidrs":["192.0.2.0/24"],"allowedDomains":["pypi.org"],
                  "allowedPorts":[{"port":443}],"deniedCidrs":["192.0.2.0/24"]}}""");
        assertTrue(p.decide(tcp("192.0.2.5", 443)).allowed(), "denied* is not enforced in block-all");
        assertFalse(p.decide(tcp("192.0.2.5", 80)).allowed(), "ports narrow the destinations");
        assertTrue(p.decide(tcp("151.101.0.223", 443).withHost("pypi.org")).allowed());
        assertFalse(p.decide(tcp("151.101.0.223", 443).withHost("files.pythonhosted.org")).allowed());
        assertTrue(p.resolvable("pypi.org"));
        assertFalse(p.resolvable("files.pythonhosted.org"));
        var portsOnly = policy("""
                {"mode":"block-all","egress":{"allowedPorts":[{"port":53,"protocol":"udp"}]}}""");
        assertTrue(portsOnly.decide(udp("192.0.2.5", 53)).allowed());
        assertFalse(portsOnly.decide(tcp("192.0.2.5", 53)).allowed());
        assertFalse(policy("{\"mode\":\"block-all\"}").decide(tcp("192.0.2.5", 443)).allowed());
    }

    @Test
    void namesResolveUnlessEveryFlowToThemIsDenied() throws Exception {
        var p = policy("""
                {"mode":"allow-all","egress":{"trafficRules":[
                  {"action":"deny","domains":["*.exfil.test"]},
                  {"action":"deny","domains":["web.test"],"ports":[{"port":80}]}]}}""");
        assertFalse(p.resolvable("data123.exfil.test"));
        assertTrue(p.resolvable("web.test"), "only port 80 is denied");
        assertTrue(p.resolvable("other.test"));
        var b = policy("""
                {"mode":"block-all","egress":{"trafficRules":[
                  {"action":"allow","domains":["*.github.com"]},{"action":"allow","cidrs":["192.0.2.0/24"]}]}}""");
        assertTrue(b.resolvable("api.github.com"));
        assertFalse(b.resolvable("example.com"));
    }

    @Test
    void platformRulesCloseWhatNoPolicyMayOpen() throws Exception {
        var rules = new PlatformRules(PlatformRules.DEFAULT_PRIVATE_RANGES, "10.88.0.0/16");
        for (String ip : new String[] {"169.254.169.254", "10.1.2.3", "192.168.1.1", "172.20.0.1", "100.64.0.1", "127.0.0.1",
                "::1", "fe80::1", "fd00::1", "::ffff:169.254.169.254", "224.0.0.1"}) {
            assertTrue(rules.denies(InetAddress.getByName(ip)), ip);
        }
        assertFalse(rules.denies(InetAddress.getByName("93.184.216.34")));
        var lan = new PlatformRules(java.util.List.of(), "10.88.0.0/16");
        assertFalse(lan.denies(InetAddress.getByName("192.168.1.1")), "an operator may open its LAN");
        assertTrue(lan.denies(InetAddress.getByName("10.88.0.5")), "but never other sandboxes");
        assertTrue(lan.denies(InetAddress.getByName("169.254.169.254")));
    }
}
