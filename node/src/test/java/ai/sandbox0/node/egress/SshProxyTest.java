package ai.sandbox0.node.egress;

import static ai.sandbox0.node.egress.EgressTopology.UPSTREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.network.TrafficRuleAppProtocol;
import ai.sandbox0.node.runtime.HostCommand;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code ssh_proxy} on the real kernel: OpenSSH's client in the sandbox namespace, with only its own key, logs in
 * through the proxy to OpenSSH's server in the upstream namespace, which authorizes only the binding's stored key
 * (kept by the test in memory, handed to the proxy as a fake {@link EgressCredentials} would).
 */
class SshProxyTest {

    private static final String SANDBOX = "sbx-ssh-1";
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

    private static EgressTopology net;
    private static EgressProxy proxy;
    private static SshHostKey proxyKey;
    private static Path dir;
    private static Process sshd;
    private static KeyPair stored;
    private static String storedFingerprint;
    private static String upstreamHostKey;
    private static boolean createdRunSshd;
    private static final EgressPolicies policies = new EgressPolicies();
    private static final Map<String, EgressMaterial> material = new ConcurrentHashMap<>();
    private static final List<EgressRecord> audited = new CopyOnWriteArrayList<>();
    private static final AtomicLong metered = new AtomicLong();
    /** The name the sandbox's DNS "resolved" to the upstream's address (null: none, a direct-IP flow). */
    private static volatile String resolvedName;

    @BeforeAll
    static void up() throws Exception {
        for (String bin : List.of("/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/sftp", "/usr/bin/ssh-keygen",
                "/usr/lib/openssh/sftp-server")) {
            if (!Files.isExecutable(Path.of(bin))) {
                throw new IllegalStateException(bin + " is missing: the ssh_proxy tests need openssh-server and openssh-client");
            }
        }
        dir = Files.createTempDirectory("s0-ssh-proxy-test-");
        for (String name : List.of("host", "stored", "sandbox", "stranger")) {
            must(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", dir.resolve(name).toString()));
        }
        // The stored key lives in the proxy only: read into memory, its file goes before any sandbox client runs.
        stored = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName("stored"),
                new ByteArrayInputStream(Files.readAllBytes(dir.resolve("stored"))), null).iterator().next();
        storedFingerprint = must(List.of("ssh-keygen", "-l", "-f", dir.resolve("stored.pub").toString())).split(" ")[1];
        Files.copy(dir.resolve("stored.pub"), dir.resolve("authorized_keys"));
        Files.delete(dir.resolve("stored"));
        upstreamHostKey = pub("host");
        Files.writeString(dir.resolve("motd.txt"), "the upstream's file\n");

        proxyKey = SshHostKey.loadOrCreate(dir.resolve("state"));
        var platform = new PlatformRules(PlatformRules.DEFAULT_PRIVATE_RANGES, EgressTopology.POOL);
        EgressCredentials credentials = (sandbox, ref) ->
                sandbox.equals(SANDBOX) ? Optional.ofNullable(material.get(ref)) : Optional.empty();
        NameRecords names = (sandbox, address) -> Optional.ofNullable(resolvedName);
        proxy = new EgressProxy(0, policies, platform, names, EgressProxy.Hooks.NONE.withCredentials(credentials)
                        .withAudit(audited::add).withMeter((id, out, in) -> metered.addAndGet(out + in)),
                new EgressProxy.Inspection(null, List.of(), proxyKey));
        net = EgressTopology.start(proxy.port());

        Files.writeString(dir.resolve("sshd_config"), """
                Port 22
                ListenAddress %s
                HostKey %s
                AuthorizedKeysFile %s
                PidFile %s
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                PermitRootLogin prohibit-password
                StrictModes no
                LogLevel VERBOSE
                AcceptEnv S0_*
                Subsystem sftp /usr/lib/openssh/sftp-server
                """.formatted(UPSTREAM, dir.resolve("host"), dir.resolve("authorized_keys"), dir.resolve("sshd.pid")));
        Path privsep = Path.of("/run/sshd");
        if (!Files.isDirectory(privsep)) {
            Files.createDirectories(privsep);
            createdRunSshd = true;
        }
        sshd = EgressTopology.startInUpstream(List.of("/usr/sbin/sshd", "-D", "-e",
                "-f", dir.resolve("sshd_config").toString()), sshdLog());
        EgressTopology.awaitWord(sshd, sshdLog(), "Server listening", sshdLog(), Duration.ofSeconds(15));
        Files.writeString(dir.resolve("proxy_known_hosts"), UPSTREAM + " " + proxyKey.publicKey() + "\n");
    }

    @AfterAll
    static void down() throws IOException {
        try {
            if (sshd != null) {
                sshd.destroy();
                try {
                    sshd.waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (proxy != null) {
                proxy.close();
            }
        } finally {
            if (net != null) {
                net.close();
            }
            if (createdRunSshd) {
                Files.deleteIfExists(Path.of("/run/sshd"));
            }
            if (dir != null) {
                HostCommand.run(List.of("rm", "-rf", dir.toString()));
            }
        }
    }

    @BeforeEach
    void reset() throws IOException {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("fail-closed"));
        material.clear();
        material.put("git", login(List.of(pub("sandbox")), List.of(UPSTREAM + " " + upstreamHostKey)));
        Files.writeString(sshdLog(), "");
        audited.clear();
        metered.set(0);
        resolvedName = null;
    }

    @Test
    void aSandboxSessionRunsUpstreamAsTheBindingsUserWithTheStoredKey() throws Exception {
        var r = ssh("sandbox", "echo hi; id -un; echo to-stderr >&2");
        assertEquals(0, r.exitCode(), r.diagnostic());
        assertEquals("hi\nroot\n", r.stdout());
        assertTrue(r.stderr().contains("to-stderr"), r.stderr());
        // The sandbox's client presented only its own key; the upstream saw the stored one.
        String log = Files.readString(sshdLog());
        assertTrue(log.contains("Accepted publickey for root") && log.contains(storedFingerprint), log);
        assertFalse(Files.exists(dir.resolve("stored")), "the stored private key is nowhere a sandbox could read it");

        // The flow is audited and metered as any other: allowed, SSH, its bytes both ways.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (audited.isEmpty() && System.nanoTime() < deadline) {
            EgressTopology.sleep(20);
        }
        EgressRecord flow = audited.getFirst();
        assertTrue(flow.allowed() && flow.app() == TrafficRuleAppProtocol.SSH && flow.port() == 22, flow.toString());
        assertTrue(flow.bytesOut() > 0 && flow.bytesIn() > 0, flow.toString());
        assertTrue(metered.get() >= flow.bytesOut() + flow.bytesIn(), metered + " metered");

        assertEquals(3, ssh("sandbox", "exit 3").exitCode(), "the exit status passes through");
        assertEquals(255, ssh("sandbox", "kill -KILL $$").exitCode(), "killed upstream: no exit status, as sshd's own");
        var upper = net.inSandbox(sshArgv("sandbox", List.of(), "tr a-z A-Z"), "piped to the upstream", CLIENT_TIMEOUT);
        assertEquals("PIPED TO THE UPSTREAM", upper.stdout(), "stdin and its end reach the command: " + upper.diagnostic());
    }

    @Test
    void aTerminalTheEnvironmentAndSftpAreBridged() throws Exception {
        var terminal = net.inSandbox(sshArgv("sandbox", List.of("-tt", "-o", "SetEnv=S0_GREETING=hello"),
                "tty; echo $S0_GREETING; echo $TERM"), null, CLIENT_TIMEOUT);
        assertEquals(0, terminal.exitCode(), terminal.diagnostic());
        assertTrue(terminal.stdout().startsWith("/dev/pts/"), terminal.stdout());
        assertTrue(terminal.stdout().contains("hello"), terminal.stdout());

        // Under a real terminal of 30 rows and 100 columns, the upstream's terminal has that size.
        String sized = String.join(" ", sshArgv("sandbox", List.of("-tt"), "'stty size'"));
        var size = net.inSandbox(List.of("script", "-qec", "stty rows 30 cols 100; " + sized, "/dev/null"), null,
                CLIENT_TIMEOUT);
        assertTrue(size.stdout().contains("30 100"), size.diagnostic() + size.stdout());

        Path got = dir.resolve("got.txt");
        var sftp = net.inSandbox(List.of("sftp", "-F", "/dev/null", "-b", "-", "-i", dir.resolve("sandbox").toString(),
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                "-o", "UserKnownHostsFile=" + dir.resolve("proxy_known_hosts"), "agent@" + UPSTREAM),
                "get " + dir.resolve("motd.txt") + " " + got + "\n", CLIENT_TIMEOUT);
        assertEquals(0, sftp.exitCode(), sftp.diagnostic());
        assertEquals("the upstream's file\n", Files.readString(got));
        assertEquals("the upstream's file\n", ssh("sandbox", "cat " + dir.resolve("motd.txt")).stdout());
    }

    @Test
    void aKeyNotInSandboxPublicKeysIsRefusedAndTheUpstreamSeesNothing() throws Exception {
        var r = ssh("stranger", "id -un");
        assertEquals(255, r.exitCode(), r.diagnostic());
        assertTrue(r.stderr().contains("Permission denied (publickey)"), r.stderr());
        assertFalse(Files.readString(sshdLog()).contains("Connection from"), Files.readString(sshdLog()));
    }

    @Test
    void anUpstreamHostKeyNotInKnownHostsIsRefusedBeforeAnyLogin() throws Exception {
        material.put("git", login(List.of(pub("sandbox")), List.of(UPSTREAM + " " + pub("stranger"),
                "other.example " + upstreamHostKey)));
        var r = ssh("sandbox", "id -un");
        assertEquals(255, r.exitCode(), r.diagnostic());
        assertTrue(r.stderr().contains("not in the binding's knownHosts"), r.stderr());
        String log = Files.readString(sshdLog());
        assertFalse(log.contains("Accepted") || log.contains("publickey"), log);

        material.put("git", login(List.of(pub("sandbox")), List.of()));
        assertEquals(255, ssh("sandbox", "id -un").exitCode(), "no knownHosts: no upstream is trusted");

        material.put("git", new EgressMaterial.SshLogin("nobody-here", stored, List.of(pub("sandbox")),
                List.of(UPSTREAM + " " + upstreamHostKey), Instant.now().plusSeconds(300)));
        var refused = ssh("sandbox", "id -un");
        assertEquals(255, refused.exitCode(), refused.diagnostic());
        assertTrue(refused.stderr().contains("cannot log in to " + UPSTREAM + " as nobody-here"), refused.stderr());
    }

    @Test
    void knownHostsNameTheHostTheSandboxResolvedAndADomainRuleAppliesByIt() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), EgressPolicy.compile(Json.mapper().readValue("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"git","protocol":"ssh",
                 "domains":["git.test"]}]}}""", SandboxNetworkPolicy.class)));
        material.put("git", login(List.of(pub("sandbox")), List.of("git.test " + upstreamHostKey)));

        resolvedName = "git.test";
        var named = ssh("sandbox", "id -un");
        assertEquals(0, named.exitCode(), named.diagnostic());
        assertEquals("root\n", named.stdout());

        // The same address dialled without a name: the rule does not apply and the sandbox meets the upstream itself.
        resolvedName = null;
        var direct = ssh("sandbox", "id -un");
        assertEquals(255, direct.exitCode(), direct.diagnostic());
        assertTrue(direct.stderr().contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
                || direct.stderr().contains("Host key verification failed"), direct.stderr());
    }

    @Test
    void forwardingIsRefused() throws Exception {
        var r = net.inSandbox(sshArgv("sandbox", List.of("-W", UPSTREAM + ":80"), null), null, CLIENT_TIMEOUT);
        assertTrue(r.exitCode() != 0 && r.stderr().contains("open failed"), r.diagnostic());
    }

    @Test
    void withoutMaterialFailClosedCutsTheSessionAndFailOpenRelaysItUntouched() throws Exception {
        material.clear();
        var closed = ssh("sandbox", "id -un");
        assertEquals(255, closed.exitCode(), closed.diagnostic());
        assertFalse(Files.readString(sshdLog()).contains("Connection from"), "fail-closed: cut before the upstream");

        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("fail-open"));
        Files.writeString(dir.resolve("upstream_known_hosts"), UPSTREAM + " " + upstreamHostKey + "\n");
        var argv = sshArgv("sandbox", List.of(), "id -un");
        argv.set(argv.indexOf("UserKnownHostsFile=" + dir.resolve("proxy_known_hosts")),
                "UserKnownHostsFile=" + dir.resolve("upstream_known_hosts"));
        var open = net.inSandbox(argv, null, CLIENT_TIMEOUT);
        // The upstream itself answered (its own host key was accepted) and refused the sandbox's key.
        assertEquals(255, open.exitCode(), open.diagnostic());
        assertTrue(open.stderr().contains("Permission denied (publickey)"), open.stderr());
        assertTrue(Files.readString(sshdLog()).contains("Connection from"), Files.readString(sshdLog()));
    }

    // ---- helpers

    private static HostCommand.Result ssh(String key, String command) throws IOException {
        return net.inSandbox(sshArgv(key, List.of(), command), null, CLIENT_TIMEOUT);
    }

    private static List<String> sshArgv(String key, List<String> options, String command) {
        var argv = new ArrayList<>(List.of("ssh", "-F", "/dev/null", "-i", dir.resolve(key).toString(),
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=20",
                "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + dir.resolve("proxy_known_hosts")));
        argv.addAll(options);
        argv.add("agent@" + UPSTREAM);
        if (command != null) {
            argv.add(command);
        }
        return argv;
    }

    private static EgressMaterial.SshLogin login(List<String> sandboxKeys, List<String> knownHosts) {
        return new EgressMaterial.SshLogin("root", stored, sandboxKeys, knownHosts, Instant.now().plusSeconds(300));
    }

    private static EgressPolicy policy(String failure) throws IOException {
        return EgressPolicy.compile(Json.mapper().readValue("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"git","protocol":"ssh",
                 "ports":[{"port":22}],"failurePolicy":"%s"}]}}""".formatted(failure), SandboxNetworkPolicy.class));
    }

    /** A public key file's key type and base64, without its comment. */
    private static String pub(String name) throws IOException {
        String[] parts = Files.readString(dir.resolve(name + ".pub"), StandardCharsets.US_ASCII).strip().split(" ");
        return parts[0] + " " + parts[1];
    }

    private static Path sshdLog() {
        return dir.resolve("sshd.log");
    }

    private static String must(List<String> argv) throws IOException {
        var r = HostCommand.run(argv, null, Duration.ofSeconds(30));
        if (!r.ok()) {
            throw new IOException(r.diagnostic());
        }
        return r.stdout();
    }
}
