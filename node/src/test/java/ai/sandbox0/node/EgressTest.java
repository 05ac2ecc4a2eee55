package ai.sandbox0.node;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.node.runtime.ExecResult;
import ai.sandbox0.node.testing.HostLeaks;
import ai.sandbox0.node.testing.TestNetwork;
import ai.sandbox0.node.testing.TestNodes;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Egress as a sandbox lives it, on real sandboxes: its names come from the node's resolver (whichever resolver it
 * asks), its TCP goes through the node's proxy, its datagrams through its own firewall chain, and a policy change
 * reaches all three at once. The outside world is a test namespace with a web server, a TCP and a UDP echo, and a
 * real nameserver that the node forwards allowed queries to.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EgressTest {

    private static final Duration T = Duration.ofSeconds(30);

    private Node node;
    private TestNetwork internet;
    private String server;
    private String blockedAddress;
    private Sandbox open;
    private Sandbox closed;

    @BeforeAll
    void start() throws Exception {
        internet = TestNetwork.start("egr", "198.18.2.0");
        server = internet.serverAddress();
        blockedAddress = "198.18.2.9";
        internet.alsoAt(blockedAddress);
        internet.startTcpEcho(7000);
        internet.startUdpEcho(9999);
        String nameserver = internet.startNameserver(Map.of("allowed.test", server, "blocked.test", blockedAddress,
                "other.test", server));
        node = TestNodes.open(TestNodes.config("tegr", "10.89.2.0/24").withNameservers(List.of(nameserver)), java.util.Set.of());
        try (var ex = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Sandbox> fa = ex.submit(() -> node.start(TestNodes.spec("egr-open", NetworkMode.ALLOW_ALL)));
            Future<Sandbox> fb = ex.submit(() -> node.start(TestNodes.spec("egr-closed", NetworkMode.ALLOW_ALL)));
            open = fa.get();
            closed = fb.get();
        }
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (node != null) {
                node.shutdown();
                HostLeaks.assertNoneOf(node.config());
            }
        } finally {
            if (internet != null) {
                internet.close();
            }
        }
    }

    private static SandboxNetworkPolicy policy(String json) throws Exception {
        return Json.mapper().readValue(json, SandboxNetworkPolicy.class);
    }

    private String python(Sandbox s, String code) throws Exception {
        ExecResult r = node.exec(s.id(), List.of("python3", "-c", code), T);
        return r.stdout().strip() + (r.stderr().isBlank() ? "" : " | " + r.stderr().strip());
    }

    private String fetch(Sandbox s, String url, String host) throws Exception {
        return python(s, "import urllib.request\nr=urllib.request.Request('" + url + "')\n"
                + (host == null ? "" : "r.add_header('Host','" + host + "')\n")
                + "try:\n  print(urllib.request.urlopen(r, timeout=3).read().decode())\n"
                + "except Exception as e:\n  print('ERR', type(e).__name__)\n");
    }

    /** A DNS query for {@code name} sent to {@code resolver} by hand; prints the rcode and the first A record. */
    private String dig(Sandbox s, String resolver, String name) throws Exception {
        return python(s, "import socket,struct,random\n"
                + "q=struct.pack('>HHHHHH',random.randint(0,65535),0x0100,1,0,0,0)\n"
                + "q+=b''.join(bytes([len(p)])+p.encode() for p in '" + name + "'.split('.'))+b'\\0'+struct.pack('>HH',1,1)\n"
                + "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(5)\n"
                + "s.sendto(q,('" + resolver + "',53))\nr=s.recv(2048)\nrcode=r[3]&15\nans=struct.unpack('>H',r[6:8])[0]\n"
                + "print('rcode', rcode, socket.inet_ntoa(r[-4:]) if ans else '-')\n");
    }

    @Test
    void namesComeFromTheNodesResolverWhicheverResolverTheSandboxAsks() throws Exception {
        node.setNetworkPolicy(open.id(), policy("""
                {"mode":"allow-all","egress":{"trafficRules":[{"action":"deny","domains":["*.blocked.test"]}]}}"""));
        assertThat(python(open, "import socket\nprint(socket.gethostbyname('allowed.test'))")).isEqualTo(server);
        assertThat(python(open, "import socket\ntry:\n  socket.gethostbyname('x.blocked.test')\n"
                + "except socket.gaierror as e:\n  print('unknown')")).isEqualTo("unknown");
        // Another resolver, asked directly: the node answers in its place.
        assertThat(dig(open, "192.0.2.53", "allowed.test")).isEqualTo("rcode 0 " + server);
        assertThat(dig(open, "192.0.2.53", "data-1234.blocked.test")).isEqualTo("rcode 3 -");
        assertThat(internet.nameserverQueries()).as("a blocked name never leaves the node").contains("allowed.test")
                .doesNotContain("blocked.test");
    }

    @Test
    void aDeniedDomainIsCutByItsNameWhateverAddressItTakes() throws Exception {
        node.setNetworkPolicy(open.id(), policy("""
                {"mode":"allow-all","egress":{"trafficRules":[{"action":"deny","domains":["blocked.test"]}]}}"""));
        assertThat(fetch(open, "http://allowed.test:8080/", null)).isEqualTo(TestNetwork.BODY);
        assertThat(fetch(open, "http://" + server + ":8080/", "blocked.test")).as("Host names the flow").startsWith("ERR");
        assertThat(fetch(open, "http://" + server + ":8080/", "other.test")).isEqualTo(TestNetwork.BODY);
    }

    @Test
    void blockAllOpensOnlyWhatItsRulesAllow() throws Exception {
        node.setNetworkPolicy(closed.id(), policy("""
                {"mode":"block-all","egress":{"trafficRules":[{"action":"allow","domains":["allowed.test"],
                  "ports":[{"port":8080}]}]}}"""));
        assertThat(fetch(closed, "http://allowed.test:8080/", null)).isEqualTo(TestNetwork.BODY);
        assertThat(fetch(closed, "http://" + blockedAddress + ":8080/", null)).as("an address it never resolved")
                .startsWith("ERR");
        assertThat(python(closed, "import socket\ntry:\n  socket.gethostbyname('other.test')\n"
                + "except socket.gaierror:\n  print('unknown')")).isEqualTo("unknown");
        assertThat(python(closed, udpEcho(server))).isEqualTo("timeout");
    }

    private static String udpEcho(String address) {
        return "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(1.5)\n"
                + "s.sendto(b'ping',('" + address + "',9999))\ntry:\n  print(s.recv(64).decode())\n"
                + "except socket.timeout:\n  print('timeout')\n";
    }

    @Test
    void datagramsFollowThePolicysAddressesAndPorts() throws Exception {
        node.setNetworkPolicy(open.id(), null);
        assertThat(python(open, udpEcho(server))).isEqualTo("ping");
        node.setNetworkPolicy(open.id(), policy("{\"mode\":\"allow-all\",\"egress\":{\"trafficRules\":[{\"action\":\"deny\","
                + "\"cidrs\":[\"" + server + "/32\"],\"ports\":[{\"port\":9999,\"protocol\":\"udp\"}]}]}}"));
        assertThat(python(open, udpEcho(server))).isEqualTo("timeout");
        node.setNetworkPolicy(open.id(), policy("{\"mode\":\"block-all\",\"egress\":{\"trafficRules\":[{\"action\":\"allow\","
                + "\"cidrs\":[\"" + server + "/32\"],\"ports\":[{\"port\":9999,\"protocol\":\"udp\"}]}]}}"));
        assertThat(python(open, udpEcho(server))).isEqualTo("ping");
        node.setNetworkPolicy(open.id(), null);
    }

    @Test
    void aLiveSwitchToBlockAllCutsAnOpenConnection() throws Exception {
        node.setNetworkPolicy(closed.id(), null);
        String hold = "import socket,time\ns=socket.create_connection(('" + server + "',7000),timeout=3)\n"
                + "s.sendall(b'hi')\nassert s.recv(16)==b'hi'\nopen('/tmp/connected','w').close()\n"
                + "s.settimeout(20)\nend=time.time()+20\n"
                + "while time.time()<end:\n  try:\n    s.sendall(b'x')\n    d=s.recv(16)\n"
                + "    if not d:\n      print('cut'); break\n  except OSError as e:\n    print('cut'); break\n"
                + "  time.sleep(0.1)\nelse:\n  print('still open')\n";
        try (var ex = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<String> held = ex.submit(() -> python(closed, hold));
            long deadline = System.nanoTime() + T.toNanos();
            while (node.exec(closed.id(), List.of("test", "-e", "/tmp/connected"), T).exitCode() != 0) {
                assertThat(System.nanoTime()).as("the connection opens").isLessThan(deadline);
                Thread.sleep(50);
            }
            node.setNetworkPolicy(closed.id(), policy("{\"mode\":\"block-all\"}"));
            assertThat(held.get()).isEqualTo("cut");
        } finally {
            node.setNetworkPolicy(closed.id(), null);
        }
    }

    @Test
    void privateRangesAndTheHostStayClosedInAllowAll() throws Exception {
        String lan = internet.alsoAt("192.168.77.7");
        assertThat(fetch(open, lan, null)).startsWith("ERR");
        // A service on the host, on every address: neither its IPv4 gateway nor its IPv6 link-local address opens it.
        try (ServerSocket host = new ServerSocket()) {
            host.bind(new java.net.InetSocketAddress("::", 0));
            String gateway = python(open, "import subprocess\nprint(open('/etc/resolv.conf').read().split()[1])");
            assertThat(python(open, connect(gateway, host.getLocalPort()))).isNotEqualTo("open");
            String veth = node.config().name() + "v" + open.slot();
            String linkLocal = ai.sandbox0.node.runtime.HostCommand.run(List.of("ip", "-6", "-o", "addr", "show", "dev", veth,
                    "scope", "link")).stdout().replaceAll("(?s).*inet6 (fe80::[0-9a-f:]+)/.*", "$1").strip();
            assertThat(linkLocal).as("the host side of the sandbox's veth has a link-local address").startsWith("fe80::");
            assertThat(python(open, "import socket\ns=socket.socket(socket.AF_INET6)\ns.settimeout(1)\n"
                    + "try:\n  s.connect(('" + linkLocal + "%eth0'," + host.getLocalPort() + "))\n  print('open')\n"
                    + "except Exception as e:\n  print(type(e).__name__)")).isNotEqualTo("open");
        }
    }

    private static String connect(String host, int port) {
        return "import socket\ns=socket.socket()\ns.settimeout(1)\ntry:\n  s.connect(('" + host + "'," + port
                + "))\n  print('open')\nexcept Exception as e:\n  print(type(e).__name__)\n";
    }

    @Test
    void aRestartedNodePutsEachAdoptedSandboxsPolicyBackInForce() throws Exception {
        node.setNetworkPolicy(closed.id(), policy("{\"mode\":\"block-all\"}"));
        node.setNetworkPolicy(open.id(), null);
        NodeConfig config = node.config();
        node.close(); // the sandboxes keep running, as when the server restarts
        node = TestNodes.open(config, java.util.Set.of(open.id(), closed.id()));
        assertThat(node.sandbox(closed.id())).isPresent();
        assertThat(fetch(closed, "http://allowed.test:8080/", null)).startsWith("ERR");
        assertThat(fetch(open, "http://allowed.test:8080/", null)).isEqualTo(TestNetwork.BODY);
        node.setNetworkPolicy(closed.id(), null);
        assertThat(fetch(closed, "http://allowed.test:8080/", null)).isEqualTo(TestNetwork.BODY);
    }
}
