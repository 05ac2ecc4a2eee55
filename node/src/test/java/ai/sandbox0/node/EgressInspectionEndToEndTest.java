package ai.sandbox0.node;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.node.egress.EgressCredentials;
import ai.sandbox0.node.egress.EgressMaterial;
import ai.sandbox0.node.egress.EgressProxy;
import ai.sandbox0.node.egress.EgressTopology;
import ai.sandbox0.node.runtime.ExecResult;
import ai.sandbox0.node.runtime.HostCommand;
import ai.sandbox0.node.runtime.SandboxSpec;
import ai.sandbox0.node.testing.HostLeaks;
import ai.sandbox0.node.testing.TestNetwork;
import ai.sandbox0.node.testing.TestNodes;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Credential injection as a sandbox lives it: its own curl and python, trusting the node's CA through the
 * variables every process gets, reach an HTTPS destination whose certificate only the node trusts (a test
 * CA given as the node's {@code egressTrustedCaFile}), and the destination sees the secret, which nothing in
 * the sandbox holds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EgressInspectionEndToEndTest {

    private static final Duration T = Duration.ofSeconds(30);
    private static final String SECRET = "e2e-secret-4b9d2c81f0";

    private Path dir;
    private TestNetwork internet;
    private Process upstream;
    private Node node;
    private Sandbox sandbox;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("s0-inspect-e2e-");
        EgressTopology.testCertificates(dir);
        internet = TestNetwork.start("tls", "198.18.6.0");
        String server = internet.serverAddress();
        String nameserver = internet.startNameserver(Map.of("api.test", server));
        Path script = dir.resolve("inspected.py");
        try (InputStream in = getClass().getResourceAsStream("/egress/inspected.py")) {
            Files.copy(in, script);
        }
        upstream = new ProcessBuilder("ip", "netns", "exec", internet.namespace(), "python3", script.toString(),
                log().toString(), dir.resolve("srv.crt").toString(), dir.resolve("srv.key").toString(),
                dir.resolve("bad.crt").toString(), dir.resolve("bad.key").toString(), "8081")
                .redirectErrorStream(true).redirectOutput(dir.resolve("inspected.out").toFile()).start();
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!Files.exists(log()) || !Files.readString(log()).contains("ready")) {
            if (System.nanoTime() > deadline || !upstream.isAlive()) {
                throw new IllegalStateException("the HTTPS upstream did not come up: "
                        + Files.readString(dir.resolve("inspected.out")));
            }
            Thread.sleep(20);
        }
        node = TestNodes.open(TestNodes.config("ttls", "10.89.16.0/24").withNameservers(List.of(nameserver))
                .withEgressTrustedCaFile(dir.resolve("test-ca.crt")), java.util.Set.of());
        node.egress().attach(EgressProxy.Hooks.NONE.withCredentials((EgressCredentials) (id, ref) ->
                ref.equals("api") ? Optional.of(new EgressMaterial.Headers(Map.of("Authorization", "Bearer " + SECRET),
                        Instant.now().plusSeconds(300))) : Optional.empty()));
        SandboxNetworkPolicy policy = Json.mapper().readValue("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"api","protocol":"https",
                 "tlsMode":"terminate-reoriginate","domains":["api.test"]}]}}""", SandboxNetworkPolicy.class);
        SandboxSpec spec = TestNodes.spec("tls-e2e", ai.sandbox0.api.network.NetworkMode.ALLOW_ALL).withNetwork(policy);
        sandbox = node.start(spec);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (node != null) {
                node.shutdown();
                HostLeaks.assertNoneOf(node.config());
            }
        } finally {
            if (upstream != null) {
                upstream.destroyForcibly();
            }
            if (internet != null) {
                internet.close();
            }
            if (dir != null) {
                HostCommand.run(List.of("rm", "-rf", dir.toString()));
            }
        }
    }

    @Test
    void curlAndPythonInTheSandboxReachTheDestinationWithTheSecretTheSandboxNeverHolds() throws Exception {
        ExecResult curl = sh("curl -sS -o /dev/null -w '%{http_code}' https://api.test:8443/from-curl");
        assertThat(curl.stdout().strip()).as(curl.stderr()).isEqualTo("200");
        ExecResult python = sh("python3 -c \"import urllib.request; print(urllib.request.urlopen("
                + "'https://api.test:8443/from-python', timeout=10).status)\"");
        assertThat(python.stdout().strip()).as(python.stderr()).isEqualTo("200");

        List<JsonNode> seen = requests();
        assertThat(seen).extracting(n -> n.path("path").asText()).containsExactly("/from-curl", "/from-python");
        assertThat(seen).allSatisfy(n -> assertThat(n.path("headers").path("authorization").asText())
                .isEqualTo("Bearer " + SECRET));

        ExecResult env = sh("env");
        assertThat(env.stdout()).contains("SANDBOX0_NETD_MITM_CA_FILE=/var/run/sandbox0/netd/mitm-ca.crt",
                "SSL_CERT_FILE=/var/run/sandbox0/netd/ca-bundle.crt", "NODE_EXTRA_CA_CERTS=", "REQUESTS_CA_BUNDLE=",
                "CURL_CA_BUNDLE=", "GIT_SSL_CAINFO=", "AWS_CA_BUNDLE=");
        ExecResult files = sh("grep -c 'BEGIN CERTIFICATE' /var/run/sandbox0/netd/mitm-ca.crt"
                + " /var/run/sandbox0/netd/ca-bundle.crt; ! grep -rl 'PRIVATE KEY' /var/run/sandbox0/;"
                + " touch /var/run/sandbox0/netd/x 2>/dev/null && echo writable || echo read-only");
        assertThat(files.stdout()).contains("mitm-ca.crt:1", "read-only").doesNotContain("PRIVATE");
        assertThat(Integer.parseInt(files.stdout().lines().filter(l -> l.contains("ca-bundle.crt")).findFirst()
                .orElseThrow().split(":")[1])).as("the image's CAs and the node's").isGreaterThan(10);

        // The pattern matches the secret without spelling it, so no command line here holds it either.
        String pattern = SECRET.substring(0, SECRET.length() - 1) + "[" + SECRET.charAt(SECRET.length() - 1) + "]";
        ExecResult hunt = sh("grep -rsl '" + pattern + "' /etc /root /tmp /var /run /home /proc/[0-9]*/environ"
                + " /proc/[0-9]*/cmdline; echo done");
        assertThat(hunt.stdout().strip()).as("files and processes holding the secret").isEqualTo("done");
    }

    private ExecResult sh(String script) throws Exception {
        return node.exec(sandbox.id(), List.of("sh", "-c", script), T);
    }

    private Path log() {
        return dir.resolve("inspected.log");
    }

    private List<JsonNode> requests() throws Exception {
        var out = new ArrayList<JsonNode>();
        for (String line : Files.readAllLines(log())) {
            JsonNode n = Json.mapper().readTree(line);
            if (!n.has("ready")) {
                out.add(n);
            }
        }
        return out;
    }
}
