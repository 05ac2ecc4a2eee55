package ai.sandbox0.node.egress;

import static ai.sandbox0.node.egress.EgressTopology.UPSTREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.network.TrafficRuleAppProtocol;
import ai.sandbox0.node.runtime.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy logging in to Redis and MQTT for a sandbox that holds no password: a real {@code redis-server}
 * (a password for the default user and an ACL user) and a real {@code mosquitto} (a password file, no
 * anonymous clients) in the upstream namespace, their own clients ({@code redis-cli}, {@code mosquitto_pub},
 * {@code mosquitto_sub}) in the sandbox's, credentials given by a fake {@link EgressCredentials} (the server's
 * real resolver has its own test).
 */
class EgressLoginTest {

    private static final String SANDBOX = "sbx-login-1";
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);
    private static final String DEFAULT_PASSWORD = "default-pass-1";
    private static final String ALICE_PASSWORD = "alice-pass-2";
    private static final String MQTT_PASSWORD = "mqtt-pass-3";

    private static EgressTopology net;
    private static EgressProxy proxy;
    private static Path dir;
    private static final List<Process> servers = new ArrayList<>();
    private static final EgressPolicies policies = new EgressPolicies();
    private static final Map<String, EgressMaterial> material = new ConcurrentHashMap<>();
    private static final ConcurrentLinkedQueue<EgressRecord> audit = new ConcurrentLinkedQueue<>();
    private static final AtomicLong metered = new AtomicLong();

    @BeforeAll
    static void up() throws Exception {
        for (String bin : List.of("/usr/bin/redis-server", "/usr/bin/redis-cli", "/usr/sbin/mosquitto",
                "/usr/bin/mosquitto_pub", "/usr/bin/mosquitto_sub", "/usr/bin/mosquitto_passwd")) {
            if (!Files.isExecutable(Path.of(bin))) {
                throw new IllegalStateException(bin + " is missing: these tests need redis-server, redis-tools, "
                        + "mosquitto and mosquitto-clients");
            }
        }
        dir = Files.createTempDirectory("s0-login-test-");
        var platform = new PlatformRules(PlatformRules.DEFAULT_PRIVATE_RANGES, EgressTopology.POOL);
        var hooks = EgressProxy.Hooks.NONE
                .withAudit(audit::add)
                .withMeter((id, out, in) -> metered.addAndGet(out + in))
                .withCredentials((sandbox, ref) -> sandbox.equals(SANDBOX)
                        ? Optional.ofNullable(material.get(ref)) : Optional.empty());
        proxy = new EgressProxy(0, policies, platform, NameRecords.NONE, hooks);
        net = EgressTopology.start(proxy.port());

        Files.writeString(dir.resolve("redis.conf"), """
                bind %s
                port 6379
                protected-mode no
                daemonize no
                save ""
                appendonly no
                dir %s
                requirepass %s
                user alice on >%s ~* &* +@all
                """.formatted(UPSTREAM, dir, DEFAULT_PASSWORD, ALICE_PASSWORD));
        servers.add(inUpstream(List.of("redis-server", dir.resolve("redis.conf").toString()), "redis.out"));
        var passwd = HostCommand.run(List.of("mosquitto_passwd", "-c", "-b", dir.resolve("mqtt.passwd").toString(),
                "carol", MQTT_PASSWORD), null, Duration.ofSeconds(30));
        assertTrue(passwd.ok(), passwd.stderr());
        Files.writeString(dir.resolve("mosquitto.conf"), """
                listener 1883 %s
                allow_anonymous false
                password_file %s
                persistence false
                user root
                """.formatted(UPSTREAM, dir.resolve("mqtt.passwd")));
        servers.add(inUpstream(List.of("mosquitto", "-c", dir.resolve("mosquitto.conf").toString()), "mosquitto.out"));
        listening(6379, "redis.out");
        listening(1883, "mosquitto.out");
    }

    @AfterAll
    static void down() throws IOException {
        try {
            servers.forEach(EgressTopology::stop);
            if (proxy != null) {
                proxy.close();
            }
        } finally {
            if (net != null) {
                net.close();
            }
            if (dir != null) {
                HostCommand.run(List.of("rm", "-rf", dir.toString()));
            }
        }
    }

    @BeforeEach
    void reset() throws IOException {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), EgressPolicy.ALLOW_ALL);
        material.clear();
        audit.clear();
        metered.set(0);
    }

    // ---- Redis

    @Test
    void aRedisClientWithoutAPasswordWorksWithTheStoredLoginAndItsPlaceholderIsReplaced() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"cache","protocol":"redis",
                 "ports":[{"port":6379}]}]}}"""));
        material.put("cache", new EgressMaterial.UsernamePassword("alice", ALICE_PASSWORD, later()));

        assertEquals("OK", redis(null, "SET", "greeting", "hello").stdout().strip());
        assertEquals("hello", redis(null, "GET", "greeting").stdout().strip());
        assertEquals("alice", redis(null, "ACL", "WHOAMI").stdout().strip(), "logged in as the binding's user");
        // The sandbox's own AUTH (a placeholder) carries the stored login instead.
        var placeholder = redis("placeholder-not-a-secret", "ACL", "WHOAMI");
        assertEquals("alice", placeholder.stdout().strip(), placeholder.stderr());
        // So does HELLO's AUTH, and the commands after it on the same connection are answered.
        var hello = net.inSandbox(List.of("redis-cli", "-h", UPSTREAM), """
                HELLO 3 AUTH nobody placeholder-not-a-secret
                ACL WHOAMI
                GET greeting
                """, CLIENT_TIMEOUT);
        assertTrue(hello.ok(), hello.stderr());
        List<String> lines = hello.stdout().lines().toList();
        assertTrue(lines.contains("proto 3"), hello.stdout()); // HELLO switched the connection to RESP3
        assertEquals(List.of("alice", "hello"), lines.subList(lines.size() - 2, lines.size()), hello.stdout());

        EgressRecord r = awaitRecord(x -> x.allowed() && x.port() == 6379);
        assertEquals(TrafficRuleAppProtocol.REDIS, r.app());
        assertTrue(r.bytesOut() > 0 && r.bytesIn() > 0, r.toString());
        assertTrue(metered.get() > 0);
    }

    @Test
    void aLoggedInRedisFlowLeavesThroughThePolicysSocks5Upstream() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"proxy":{"type":"socks5","address":"%s:1080"},
                 "credentialRules":[{"credentialRef":"cache","protocol":"redis"}]}}""".formatted(UPSTREAM)));
        material.put("cache", new EgressMaterial.UsernamePassword("alice", ALICE_PASSWORD, later()));
        Files.writeString(net.log(), "");
        assertEquals("alice", redis(null, "ACL", "WHOAMI").stdout().strip());
        assertTrue(net.upstreamSaw().contains("socks ipv4 " + UPSTREAM + " 6379"), net.upstreamSaw().toString());
    }

    @Test
    void theDefaultUsersStoredPasswordIsSentAlone() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"cache","protocol":"redis"}]}}"""));
        material.put("cache", new EgressMaterial.UsernamePassword("", DEFAULT_PASSWORD, later()));
        assertEquals("default", redis(null, "ACL", "WHOAMI").stdout().strip());
        // A large value passes through the command scan intact.
        var big = net.inSandbox(List.of("sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x | redis-cli -h " + UPSTREAM
                + " -x SET big >/dev/null && redis-cli -h " + UPSTREAM + " STRLEN big"), null, CLIENT_TIMEOUT);
        assertEquals("3000000", big.stdout().strip(), big.stderr());
    }

    @Test
    void aStoredPasswordRedisRejectsIsTheClientsErrorAndTheConnectionEnds() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"cache","protocol":"redis"}]}}"""));
        material.put("cache", new EgressMaterial.UsernamePassword("alice", "wrong-password", later()));
        var r = redis(null, "GET", "greeting");
        assertTrue(r.stdout().contains("NOAUTH egress credential rejected by upstream"), r.stdout() + r.stderr());
        EgressRecord rec = awaitRecord(x -> x.port() == 6379);
        assertFalse(rec.allowed());
        assertEquals("credential rejected by upstream", rec.reason());
    }

    @Test
    void withoutARuleOrItsMaterialRedisAsksForItsOwnPassword() throws Exception {
        var bare = redis(null, "GET", "greeting");
        assertTrue(bare.stdout().contains("NOAUTH Authentication required"), bare.stdout() + bare.stderr());
        // A binding the server cannot give: fail-closed answers the client; fail-open relays it as it is.
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"missing","protocol":"redis"}]}}"""));
        var closed = redis(null, "GET", "greeting");
        assertTrue(closed.stdout().contains("NOAUTH egress credential unavailable (material unavailable)"),
                closed.stdout() + closed.stderr());
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"missing","protocol":"redis",
                 "failurePolicy":"fail-open"}]}}"""));
        var open = redis(null, "GET", "greeting");
        assertTrue(open.stdout().contains("NOAUTH Authentication required"), open.stdout() + open.stderr());
        // A disabled rule is no rule.
        material.put("cache", new EgressMaterial.UsernamePassword("alice", ALICE_PASSWORD, later()));
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"cache","protocol":"redis",
                 "rollout":"disabled"}]}}"""));
        var disabled = redis(null, "GET", "greeting");
        assertTrue(disabled.stdout().contains("NOAUTH Authentication required"), disabled.stdout() + disabled.stderr());
    }

    // ---- MQTT

    @Test
    void anMqttPublishWithoutCredentialsIsDeliveredWithTheStoredLogin() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"broker","protocol":"mqtt",
                 "ports":[{"port":1883}]}]}}"""));
        material.put("broker", new EgressMaterial.UsernamePassword("carol", MQTT_PASSWORD, later()));
        // MQTT 5 with CONNECT properties and a will (kept as sent), no login in the sandbox; retained so that
        // the subscriber after it gets it.
        var pub = mqtt(List.of("mosquitto_pub", "-V", "mqttv5", "-D", "connect", "session-expiry-interval", "30",
                "--will-topic", "sbx/will", "--will-payload", "gone", "-t", "sbx/greeting", "-m", "hello-over-5", "-r"));
        assertTrue(pub.ok(), pub.stdout() + pub.stderr());
        // MQTT 3.1.1 with a placeholder login of its own, replaced.
        var sub = mqtt(List.of("mosquitto_sub", "-V", "mqttv311", "-u", "someone", "-P", "placeholder-not-a-secret",
                "-t", "sbx/greeting", "-C", "1", "-W", "20"));
        assertTrue(sub.ok(), sub.stdout() + sub.stderr());
        assertEquals("hello-over-5", sub.stdout().strip());
        EgressRecord r = awaitRecord(x -> x.allowed() && x.port() == 1883);
        assertEquals(TrafficRuleAppProtocol.MQTT, r.app());
        assertTrue(r.bytesOut() > 0 && r.bytesIn() > 0, r.toString());
    }

    @Test
    void withoutTheRuleTheBrokerRefusesAndWithoutItsMaterialTheProxyDoes() throws Exception {
        var bare = mqtt(List.of("mosquitto_pub", "-t", "sbx/greeting", "-m", "anonymous"));
        assertFalse(bare.ok(), bare.stdout());
        assertTrue(bare.stderr().contains("not authorised"), bare.stderr());
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"missing","protocol":"mqtt"}]}}"""));
        var refused = mqtt(List.of("mosquitto_pub", "-t", "sbx/greeting", "-m", "no-material"));
        assertFalse(refused.ok(), refused.stdout());
        assertTrue(refused.stderr().contains("bad user name or password"), refused.stderr());
        EgressRecord rec = awaitRecord(x -> x.port() == 1883 && "material unavailable".equals(x.reason()));
        assertFalse(rec.allowed());
    }

    // ---- helpers

    private static HostCommand.Result redis(String password, String... command) throws IOException {
        var argv = new ArrayList<>(List.of("redis-cli", "-h", UPSTREAM));
        if (password != null) {
            argv.addAll(List.of("-a", password, "--no-auth-warning"));
        }
        argv.addAll(List.of(command));
        return net.inSandbox(argv, null, CLIENT_TIMEOUT);
    }

    private static HostCommand.Result mqtt(List<String> command) throws IOException {
        var argv = new ArrayList<>(command);
        argv.addAll(List.of("-h", UPSTREAM, "-p", "1883"));
        return net.inSandbox(argv, null, CLIENT_TIMEOUT);
    }

    private static Process inUpstream(List<String> argv, String output) throws IOException {
        return EgressTopology.startInUpstream(argv, dir.resolve(output));
    }

    private static void listening(int port, String output) throws IOException {
        EgressTopology.awaitListening(port, dir.resolve(output), Duration.ofSeconds(15));
    }

    private static EgressPolicy policy(String json) throws IOException {
        return EgressPolicy.compile(Json.mapper().readValue(json, SandboxNetworkPolicy.class));
    }

    private static Instant later() {
        return Instant.now().plusSeconds(300);
    }

    private static EgressRecord awaitRecord(Predicate<EgressRecord> which) {
        return EgressTopology.awaitRecord(audit, which);
    }
}
