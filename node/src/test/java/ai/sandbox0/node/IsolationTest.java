package ai.sandbox0.node;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.node.runtime.ExecResult;
import ai.sandbox0.node.runtime.ProcdProbe;
import ai.sandbox0.node.runtime.SandboxSpec;
import ai.sandbox0.node.testing.HostLeaks;
import ai.sandbox0.node.testing.TestNetwork;
import ai.sandbox0.node.testing.TestNodes;
import ai.sandbox0.node.testing.TestRootfs;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Escapes a sandbox's code might try, against real runc containers. Three sandboxes are shared by the
 * tests: {@code a} and {@code b} with egress, {@code c} with {@code block-all}; the fork bomb gets its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IsolationTest {

    private static final Duration T = Duration.ofSeconds(30);

    private Node node;
    private TestNetwork internet;
    private Sandbox a;
    private Sandbox b;
    private Sandbox c;
    private Path hostSecret;

    @BeforeAll
    void startSandboxes() throws Exception {
        node = TestNodes.open("tiso", "10.89.1.0/24");
        internet = TestNetwork.start("iso", "198.18.1.0");
        hostSecret = Files.createTempFile("s0-host-secret-", ".txt");
        Files.writeString(hostSecret, "host only");
        try (var ex = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Sandbox> fa = ex.submit(() -> node.start(TestNodes.spec("iso-a", NetworkMode.ALLOW_ALL)));
            Future<Sandbox> fb = ex.submit(() -> node.start(TestNodes.spec("iso-b", NetworkMode.ALLOW_ALL)));
            Future<Sandbox> fc = ex.submit(() -> node.start(TestNodes.spec("iso-c", NetworkMode.BLOCK_ALL)));
            a = fa.get();
            b = fb.get();
            c = fc.get();
        }
    }

    @AfterAll
    void cleanUp() throws Exception {
        try {
            if (node != null) {
                node.shutdown();
                HostLeaks.assertNoneOf(node.config());
            }
        } finally {
            if (internet != null) {
                internet.close();
            }
            Files.deleteIfExists(hostSecret);
        }
    }

    private ExecResult sh(Sandbox s, String script) throws Exception {
        return node.exec(s.id(), List.of("sh", "-c", script), T);
    }

    private ExecResult python(Sandbox s, String code) throws Exception {
        return node.exec(s.id(), List.of("python3", "-c", code), T);
    }

    /** Python that connects to host:port and prints "open" or the error's class name. */
    private static String connect(String host, int port) {
        return "import socket\ns=socket.socket()\ns.settimeout(1)\ntry:\n  s.connect(('" + host + "'," + port
                + "))\n  print('open')\nexcept Exception as e:\n  print(type(e).__name__)\n";
    }

    @Test
    void hostFilesAndDataDirsAreInvisible() throws Exception {
        ExecResult r = sh(a, "ls -a / ; for p in " + hostSecret + " " + node.config().stateDir()
                + " /work /var/cache/sandbox0-test " + TestRootfs.get() + " /usr/lib/jvm; do "
                + "test -e $p && echo VISIBLE:$p; done; true");
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).doesNotContain("VISIBLE:");
        // The only host files inside are the read-only procd runtime, and it is read-only.
        assertThat(sh(a, "touch /opt/sandbox0/jdk/x").ok()).isFalse();
        assertThat(sh(a, "echo x > /opt/sandbox0/procd/procd.jar").ok()).isFalse();
    }

    @Test
    void otherSandboxesAndHostProcessesAreInvisible() throws Exception {
        ExecResult r = sh(a, "ps -e -o pid=,args=");
        assertThat(r.ok()).as(r.toString()).isTrue();
        List<String> lines = r.stdout().lines().map(String::strip).toList();
        // tini as PID 1, procd under it, and ps itself (with its sh): nothing of b, c or the host.
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("1 /opt/sandbox0/tini"));
        assertThat(lines).allSatisfy(l -> assertThat(l).containsAnyOf("tini", "java", "ps -e", "sh -c"));
        assertThat(r.stdout()).doesNotContain("surefire").doesNotContain("iso-b");
        assertThat(sh(a, "hostname").stdout().strip()).isEqualTo("sandbox-iso-a");
    }

    /** The Uid: or Gid: line of a host process: real, effective, saved and filesystem id. */
    private static List<Long> hostIds(int pid, String field) throws Exception {
        return Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status")).stream()
                .filter(l -> l.startsWith(field + ":"))
                .flatMap(l -> java.util.Arrays.stream(l.substring(field.length() + 1).trim().split("\\s+")))
                .map(Long::parseLong).toList();
    }

    @Test
    void rootInsideIsAnUnprivilegedHostUserOfItsOwn() throws Exception {
        var bases = new java.util.HashSet<Long>();
        for (Sandbox s : List.of(a, b, c)) {
            long base = node.config().ids(s.slot()).hostBase();
            assertThat(base).isGreaterThanOrEqualTo(NodeConfig.DEFAULT_FIRST_HOST_ID);
            assertThat(hostIds(s.initPid(), "Uid")).as("tini of " + s.id() + " on the host").containsOnly(base);
            assertThat(hostIds(s.initPid(), "Gid")).containsOnly(base);
            bases.add(base);
        }
        assertThat(bases).as("every live sandbox has a range of its own").hasSize(3);
        for (Sandbox s : List.of(a, b)) {
            long other = node.config().ids((s == a ? b : a).slot()).hostBase();
            long own = node.config().ids(s.slot()).hostBase();
            assertThat(Math.abs(own - other)).isGreaterThanOrEqualTo(IdMap.SIZE);
        }
        // Inside, the same process is root, the image's files are root's, and what root writes is root's.
        assertThat(sh(a, "id -u; id -g; cat /proc/self/uid_map | tr -s ' '").stdout().lines().map(String::strip)
                .toList()).containsExactly("0", "0", "0 " + node.config().ids(a.slot()).hostBase() + " 65536");
        assertThat(sh(a, "stat -c %u:%g /etc/passwd /usr/bin/python3 /").stdout().lines().toList())
                .containsExactly("0:0", "0:0", "0:0");
        ExecResult write = sh(a, "echo mine > /root/owned && chown 1000:1000 /root/owned && stat -c %u:%g /root/owned"
                + " && echo x >> /etc/hosts && echo ok");
        assertThat(write.stdout().lines().toList()).as(write.toString()).containsExactly("1000:1000", "ok");
        Path onHost = node.upperDir(a.id()).resolve("root/owned");
        assertThat(Files.getAttribute(onHost, "unix:uid")).as("the upper dir holds host ids")
                .isEqualTo((int) node.config().ids(a.slot()).toHost(1000));
        // setuid and setgid to ids of the range work (su, apt's _apt user, a build dropping root).
        assertThat(sh(a, "setpriv --reuid=1000 --regid=1000 --clear-groups id -u").stdout().strip()).isEqualTo("1000");
        assertThat(sh(a, "setpriv --reuid=70000 --regid=70000 --clear-groups id -u").ok())
                .as("an id outside the sandbox's range does not exist for it").isFalse();
    }

    @Test
    void aProcessThatEscapedWithASandboxsIdsReadsNothingOfAnotherSandboxOrTheNode() throws Exception {
        // What an escape from a would hold on the host: a's host root id, no capabilities.
        long aRoot = node.config().ids(a.slot()).hostBase();
        Path state = node.config().stateDir();
        Path bDir = state.resolve("sandboxes").resolve(b.id());
        for (Path p : List.of(bDir.resolve("rootfs/etc/passwd"), bDir.resolve("config.json"),
                bDir.resolve("sandbox.json"), state.resolve("sandboxes").resolve(a.id()).resolve("config.json"),
                node.upperDir(b.id()).getParent().resolve("procd.log"))) {
            var p2 = new ProcessBuilder("setpriv", "--reuid=" + aRoot, "--regid=" + aRoot, "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", "cat", p.toString()).redirectErrorStream(true).start();
            String out = new String(p2.getInputStream().readAllBytes());
            assertThat(p2.waitFor()).as(p + ": " + out).isNotZero();
            assertThat(out).contains("Permission denied");
        }
        assertThat(Files.readString(bDir.resolve("rootfs/etc/passwd"))).as("host root still reads it").contains("root:");
    }

    @Test
    void mountInsmodUserNamespacesAndSysrqFail() throws Exception {
        ExecResult mount = sh(a, "mkdir -p /mnt/x && mount -t tmpfs none /mnt/x");
        assertThat(mount.ok()).as("mount must fail: " + mount).isFalse();
        ExecResult bind = sh(a, "mount --bind / /mnt/x");
        assertThat(bind.ok()).as("bind mount must fail: " + bind).isFalse();
        // finit_module(2) and init_module(2), as insmod calls them.
        ExecResult insmod = python(a, "import ctypes,os\nlibc=ctypes.CDLL(None,use_errno=True)\n"
                + "fd=os.open('/etc/hostname',os.O_RDONLY)\n"
                + "print(libc.syscall(313,fd,b'',0), ctypes.get_errno())\n"
                + "print(libc.syscall(175,b'\\0'*64,64,b''), ctypes.get_errno())\n");
        assertThat(insmod.stdout().lines().toList()).containsExactly("-1 1", "-1 1");
        ExecResult userns = sh(a, "unshare -U -r true");
        assertThat(userns.ok()).as("unshare of a user namespace must fail: " + userns).isFalse();
        // 'h' only prints help to the kernel log if it got through; it must not get through.
        ExecResult sysrq = sh(a, "echo h > /proc/sysrq-trigger");
        assertThat(sysrq.ok()).as("sysrq write must fail: " + sysrq).isFalse();
        assertThat(sh(a, "echo 1 > /proc/sys/kernel/sysrq").ok()).isFalse();
        assertThat(sh(a, "head -c 16 /proc/kcore | wc -c").stdout().strip()).isEqualTo("0");
        assertThat(sh(a, "ls /sys/firmware | wc -l").stdout().strip()).isEqualTo("0");
        // A private /dev: no disks, no host devices.
        assertThat(sh(a, "ls /dev").stdout()).doesNotContain("vda").doesNotContain("sda").doesNotContain("mem\n");
        assertThat(sh(a, "grep CapEff /proc/self/status").stdout()).as("Docker's defaults without NET_RAW")
                .contains("00000000a80405fb");
    }

    @Test
    void rawSocketsAreRefusedButPingWorks() throws Exception {
        ExecResult sockets = python(a, "import socket\n"
                + "for args in [(socket.AF_PACKET, socket.SOCK_RAW, 0), (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)]:\n"
                + "    try:\n"
                + "        socket.socket(*args); print('opened')\n"
                + "    except PermissionError as e:\n"
                + "        print('refused', e.errno)\n"
                // An ICMP echo through an unprivileged ICMP socket: what ping does without CAP_NET_RAW.
                + "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)\n"
                + "s.settimeout(5)\n"
                + "s.sendto(b'\\x08\\x00\\x00\\x00\\x00\\x01\\x00\\x01ping', ('127.0.0.1', 0))\n"
                + "print('echo reply' if s.recvfrom(64)[0][0] == 0 else 'no reply')\n");
        assertThat(sockets.stdout().lines().toList()).as(sockets.toString())
                .containsExactly("refused 1", "refused 1", "echo reply");
    }

    @Test
    void theSystemCallFilterRefusesWhatIsNotListed() throws Exception {
        // x86_64 numbers: bpf 321, keyctl 250, io_uring_setup 425, pidfd_getfd 438, personality 135,
        // process_madvise 440, and one no kernel has.
        ExecResult calls = python(a, "import ctypes, os, subprocess\n"
                + "libc = ctypes.CDLL(None, use_errno=True)\n"
                + "def call(*args):\n"
                + "    r = libc.syscall(*args); print(r, ctypes.get_errno() if r < 0 else 0)\n"
                + "call(321, 0, None, 0)\n"
                + "call(250, 0, 0, 0, 0, 0)\n"
                + "call(425, 1, ctypes.create_string_buffer(120))\n"
                + "sibling = subprocess.Popen(['sleep', '30'])\n"
                + "pidfd = os.pidfd_open(sibling.pid)\n"
                + "call(438, pidfd, 0, 0)\n"
                + "sibling.kill()\n"
                + "call(135, 0x0400000)\n"
                + "call(440, pidfd, None, 0, 0, 0)\n"
                + "call(1000)\n"
                + "print(libc.syscall(135, ctypes.c_ulong(0xffffffff)) >= 0)\n"
                + "fd = os.open('/tmp', os.O_RDONLY)\n"
                + "args = ctypes.create_string_buffer(4096)\n"
                + "for request in (0x5000940E, 0x50009418, 0x50009417, 0x5000943F):\n"
                + "    r = libc.ioctl(fd, ctypes.c_ulong(request), args); print('btrfs', r, ctypes.get_errno())\n"
                + "r = libc.ioctl(fd, ctypes.c_ulong(0x5401), args); print('tcgets', r, ctypes.get_errno())\n");
        // A number past the kernel's table gets ENOSYS (runc answers calls newer than libseccomp's table so, for
        // libc's fallbacks); every listed one EPERM; asking for the personality still works.
        assertThat(calls.stdout().lines().toList()).as(calls.toString()).containsExactly(
                "-1 1", "-1 1", "-1 1", "-1 1", "-1 1", "-1 1", "-1 38", "True",
                // Subvolume ioctls are refused before any filesystem sees them (not btrfs: it would say ENOTTY);
                // other ioctls reach the file (a directory is no terminal: ENOTTY).
                "btrfs -1 1", "btrfs -1 1", "btrfs -1 1", "btrfs -1 1", "tcgets -1 25");
        // Ordinary work still runs: threads (clone3 falls back to clone), a subprocess, git, node.
        ExecResult work = sh(a, "cd /tmp && rm -rf w && mkdir w && cd w && git init -q && echo x > f && git add f"
                + " && git -c user.email=a@b -c user.name=a commit -qm m && git log --oneline | wc -l"
                + " && node -e 'require(\"child_process\").execSync(\"true\"); console.log(\"node ok\")'"
                + " && python3 -c 'import threading; t = threading.Thread(target=print, args=(\"thread ok\",)); t.start(); t.join()'");
        assertThat(work.stdout().lines().toList()).as(work.toString()).containsExactly("1", "node ok", "thread ok");
    }

    @Test
    void ordinaryWorkRunsUnderTheFilterAsRootAndAsAnotherUser() throws Exception {
        // What an agent does in a fresh sandbox: a venv and a pip install, an npm install, C and C++ builds with
        // threads, git; offline (local packages), under the allow-list, in the user namespace, then as uid 1000.
        String work = String.join(" && ",
                "set -e", "id -u", "cd $HOME", "rm -rf work && mkdir work && cd work",
                "mkdir -p pkg/hello && printf 'def hi():\\n    return \\x27hi from pip\\x27\\n' > pkg/hello/__init__.py",
                "printf '[project]\\nname = \\x22hello\\x22\\nversion = \\x221.0\\x22\\n[build-system]\\n"
                        + "requires = [\\x22setuptools\\x22]\\nbuild-backend = \\x22setuptools.build_meta\\x22\\n'"
                        + " > pkg/pyproject.toml",
                "python3 -m venv --system-site-packages venv",
                "venv/bin/pip install -q --no-index --no-build-isolation ./pkg",
                "venv/bin/python -c 'import hello; print(hello.hi())'",
                "mkdir lib app && echo '{\"name\":\"lib\",\"version\":\"1.0.0\",\"main\":\"index.js\"}' > lib/package.json",
                "echo 'module.exports = \"hi from npm\"' > lib/index.js",
                "cd app && npm init -y >/dev/null && npm install --offline --no-audit --no-fund ../lib >/dev/null"
                        + " && node -e 'console.log(require(\"lib\"))' && cd ..",
                "printf '#include <pthread.h>\\n#include <stdio.h>\\nvoid *f(void *a) { return a; }\\n"
                        + "int main(void) { pthread_t t; void *r; pthread_create(&t, 0, f, \\x22hi from cc\\x22);"
                        + " pthread_join(t, &r); puts(r); return 0; }\\n' > t.c",
                "cc -O2 -pthread t.c -o t && ./t",
                "printf '#include <iostream>\\n#include <thread>\\nint main() { std::thread t([]{ std::cout << \\x22hi from c++\\x22 << std::endl; });"
                        + " t.join(); }\\n' > t.cc",
                "c++ -O2 -pthread t.cc -o tcc && ./tcc",
                "git init -q repo && cd repo && echo x > f && git add f && git -c user.email=a@b -c user.name=a commit -qm m"
                        + " && git log --oneline | wc -l");
        var expected = List.of("hi from pip", "hi from npm", "hi from cc", "hi from c++", "1");
        // runc exec runs as the sandbox's configured user, with its HOME
        var roomy = Resources.of("2", "2Gi");
        for (SandboxSecurity security : List.of(SandboxSecurity.DEFAULT,
                new SandboxSecurity(1000, 1000, false, true, java.util.Set.of(), java.util.Set.of(), true))) {
            Sandbox s = node.start(new SandboxSpec("iso-work-" + security.uid(), List.of(TestRootfs.get()), roomy,
                    NetworkMode.BLOCK_ALL, null, null, List.of(), security));
            try {
                ExecResult r = node.exec(s.id(), List.of("bash", "-c", work), Duration.ofMinutes(3));
                var lines = new java.util.ArrayList<String>(List.of(Long.toString(security.uid())));
                lines.addAll(expected);
                assertThat(r.stdout().lines().toList()).as(r.toString()).containsExactlyElementsOf(lines);
            } finally {
                node.destroy(s.id());
            }
        }
    }

    @Test
    void coreDumpsAreOffAndOpenFilesAreGenerous() throws Exception {
        assertThat(sh(a, "bash -c 'ulimit -c; ulimit -n; ulimit -u'").stdout().lines().toList())
                .containsExactly("0", Long.toString(ai.sandbox0.node.runtime.ContainerConfig.OPEN_FILES),
                        Long.toString(a.spec().resources().pidsLimit()));
    }

    @Test
    void anotherSandboxAndTheHostAreUnreachableButTheNodeReachesProcd() throws Exception {
        // b's procd, from a: refused at the host's forward chain (dropped, so a times out).
        assertThat(python(a, connect(b.address(), b.procdPort())).stdout().strip()).isNotEqualTo("open");
        assertThat(python(c, connect(a.address(), a.procdPort())).stdout().strip()).isNotEqualTo("open");
        // A service on the host, listening on every address: a sandbox cannot reach it via its gateway.
        try (ServerSocket host = new ServerSocket(0)) {
            String gateway = sh(a, "ip route show default").stdout().split("\\s+")[2];
            assertThat(python(a, connect(gateway, host.getLocalPort())).stdout().strip()).isNotEqualTo("open");
        }
        // The node, on the host side, reaches every procd.
        assertThat(ProcdProbe.healthy(a.address(), a.procdPort(), 2000)).isTrue();
        assertThat(ProcdProbe.healthy(b.address(), b.procdPort(), 2000)).isTrue();
        assertThat(ProcdProbe.healthy(c.address(), c.procdPort(), 2000)).isTrue();
    }

    @Test
    void procdAnswersTheNodeWithItsOwnSandboxsTokenOnly() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        java.util.function.BiFunction<Sandbox, String, Integer> status = (s, token) -> {
            try {
                var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.procdUrl() + "/api/v1/contexts"))
                        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(5)).build();
                return http.send(req, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        assertThat(status.apply(a, a.token())).isEqualTo(200);
        assertThat(status.apply(a, b.token())).as("b's token opens nothing in a").isEqualTo(401);
        assertThat(a.token()).isNotEqualTo(b.token());
        assertThat(a.toString()).doesNotContain(a.token());
    }

    @Test
    void noSandboxReachesTheLinkLocalMetadataAddressEvenWithAllowAll() throws Exception {
        String metadata = internet.alsoAt("169.254.169.254");
        var host = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(metadata)).timeout(Duration.ofSeconds(5)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(host.body()).as("the host reaches it: the address answers").isEqualTo(TestNetwork.BODY);
        String fetch = "import urllib.request\ntry:\n  print(urllib.request.urlopen('" + metadata
                + "', timeout=2).read().decode())\nexcept Exception as e:\n  print('ERR', type(e).__name__)\n";
        assertThat(python(a, fetch).stdout().strip()).as("allow-all").startsWith("ERR");
        assertThat(python(a, "import urllib.request\nprint(urllib.request.urlopen('" + internet.url()
                + "', timeout=2).read().decode())\n").stdout().strip()).as("the rest of the world still")
                .isEqualTo(TestNetwork.BODY);
    }

    @Test
    void allowAllReachesTheTestServerAndBlockAllDoesNot() throws Exception {
        String fetch = "import urllib.request\ntry:\n  print(urllib.request.urlopen('" + internet.url()
                + "', timeout=2).read().decode())\nexcept Exception as e:\n  print('ERR', type(e).__name__)\n";
        assertThat(python(a, fetch).stdout().strip()).isEqualTo(TestNetwork.BODY);
        assertThat(python(c, fetch).stdout().strip()).startsWith("ERR");
        // Switching egress takes effect at once, both ways.
        node.setNetworkPolicy(b.id(), SandboxSpec.policyOf(NetworkMode.BLOCK_ALL));
        assertThat(python(b, fetch).stdout().strip()).startsWith("ERR");
        node.setNetworkPolicy(b.id(), SandboxSpec.policyOf(NetworkMode.ALLOW_ALL));
        assertThat(python(b, fetch).stdout().strip()).isEqualTo(TestNetwork.BODY);
    }

    @Test
    void memoryBombIsOomKilledInsideTheSandboxOnly() throws Exception {
        ExecResult bomb = python(a, "x = b'a' * (1 << 30)\nprint('survived')");
        assertThat(bomb.exitCode()).as(bomb.toString()).isEqualTo(137);
        assertThat(node.cgroups().oomKills(a.cgroupPath())).hasValueSatisfying(n -> assertThat(n).isPositive());
        // procd in the same sandbox, and the other sandboxes, live on.
        assertThat(ProcdProbe.healthy(a.address(), a.procdPort(), 2000)).isTrue();
        assertThat(ProcdProbe.healthy(b.address(), b.procdPort(), 2000)).isTrue();
    }

    @Test
    void aSystemTemplateMayLoosenWhatItAsksForAndNothingElse() throws Exception {
        var loose = new SandboxSecurity(0, 0, false, false, java.util.Set.of("NET_RAW"), java.util.Set.of("KILL"), false);
        SandboxSpec spec = new SandboxSpec("iso-loose", List.of(TestRootfs.get()), Resources.of("500m", "512Mi"),
                NetworkMode.BLOCK_ALL, null, null, List.of(), loose);
        Sandbox s = node.start(spec);
        try {
            ExecResult status = sh(s, "grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status | tr -s '\t ' ' '");
            // Docker's defaults without NET_RAW (a80405fb), KILL (bit 5) dropped, NET_RAW (bit 13) added.
            assertThat(status.stdout().lines().toList()).as(status.toString())
                    .containsExactly("CapEff: 00000000a80425db", "NoNewPrivs: 0", "Seccomp: 0");
            assertThat(hostIds(s.initPid(), "Uid")).as("still its own unprivileged ids")
                    .containsOnly(node.config().ids(s.slot()).hostBase());
        } finally {
            node.destroy(s.id());
        }
        // The defaults for comparison: the filter on, no_new_privs set.
        assertThat(sh(a, "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\t ' ' '").stdout().lines()
                .toList()).containsExactly("NoNewPrivs: 1", "Seccomp: 2");
    }

    @Test
    void forkBombHitsThePidsLimitWithoutHurtingTheHost() throws Exception {
        SandboxSpec spec = new SandboxSpec("iso-bomb", List.of(TestRootfs.get()),
                new Resources(250, 256L << 20, 64, 64L << 20), NetworkMode.BLOCK_ALL, null, null);
        Sandbox bomb = node.start(spec);
        try {
            // The bomb forks on in the background after this shell returns, until the sandbox is destroyed.
            ExecResult r = sh(bomb, "bash -c ':(){ :|:& };:' >/dev/null 2>&1; echo started");
            assertThat(r.stdout()).contains("started");
            Path pids = node.cgroups().dirs(bomb.cgroupPath()).stream()
                    .map(d -> d.resolve("pids.current")).filter(Files::exists).findFirst().orElseThrow();
            // The bomb fills what it may (RLIMIT_NPROC of its user, then the pids cgroup) and gets no further.
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            long most = 0;
            while (System.nanoTime() < deadline) {
                long now = Long.parseLong(Files.readString(pids).strip());
                most = Math.max(most, now);
                assertThat(now).isLessThanOrEqualTo(64);
                if (most >= 48) {
                    break;
                }
                Thread.sleep(20);
            }
            assertThat(most).as("the bomb forked up to its limit").isGreaterThanOrEqualTo(48);
            // Meanwhile the host forks as usual, and the other sandboxes answer.
            Process p = new ProcessBuilder("true").start();
            assertThat(p.waitFor()).isZero();
            assertThat(ProcdProbe.healthy(a.address(), a.procdPort(), 2000)).isTrue();
        } finally {
            node.destroy(bomb.id());
        }
    }
}
