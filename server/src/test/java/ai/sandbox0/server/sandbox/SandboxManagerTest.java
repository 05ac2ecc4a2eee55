package ai.sandbox0.server.sandbox;

import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.FAILED;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.PAUSED;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.PAUSING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.RESUMING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.RUNNING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.STARTING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.TERMINATING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.sandbox.ClaimRequest;
import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.api.sandbox.SandboxUpdateConfig;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.server.MutableClock;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.domain.DomainException.Conflict;
import ai.sandbox0.server.domain.DomainException.Forbidden;
import ai.sandbox0.server.domain.DomainException.NotFound;
import ai.sandbox0.server.domain.DomainException.Unavailable;
import ai.sandbox0.server.domain.DomainException;
import ai.sandbox0.server.sandbox.FakeSandboxHost.Crash;
import ai.sandbox0.server.sandbox.FakeSandboxHost.Step;
import ai.sandbox0.server.store.Database;
import ai.sandbox0.server.tenancy.QuotaStore;
import ai.sandbox0.server.store.TestDatabases;
import ai.sandbox0.server.template.NoWarmPools;
import ai.sandbox0.server.template.TemplateCatalog;
import ai.sandbox0.server.template.TemplateRules;
import ai.sandbox0.server.template.TemplateStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lifecycle against a real store and a host in memory: every transition, a host that fails at each
 * step, a server that dies at each step (and the recovery of the one that replaces it), concurrent
 * commands on one sandbox. No root, no runc.
 */
@org.junit.jupiter.params.ParameterizedClass
@org.junit.jupiter.params.provider.EnumSource(TestDatabases.Kind.class)
class SandboxManagerTest {

    @org.junit.jupiter.params.Parameter
    TestDatabases.Kind storeKind;


    private static final Principal ALICE = new Principal("team-a", "user-a", "key-a", null, Set.of(), false);
    private static final Principal BOB = new Principal("team-b", "user-b", "key-b", null, Set.of(), false);

    @TempDir
    Path dir;

    private Database database;
    private SandboxStore store;
    private QuotaStore quotas;
    private TemplateCatalog templates;
    private SnapshotStore snapshots;
    private ai.sandbox0.server.volume.VolumeStore volumeStore;
    private ai.sandbox0.server.volume.VolumeMounts volumeMounts;
    private final FakeSandboxHost host = new FakeSandboxHost();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
    private final Background background = new Background();
    private SandboxManager manager;
    private ai.sandbox0.server.credential.CredentialSourceStore credentialSources;
    private ai.sandbox0.server.credential.CredentialBindings credentials;

    @BeforeEach
    void open() {
        database = TestDatabases.open(storeKind, dir);
        store = new SandboxStore(database.jdbi());
        quotas = new QuotaStore(database.jdbi());
        snapshots = new SnapshotStore(database.jdbi());
        volumeStore = new ai.sandbox0.server.volume.VolumeStore(database.jdbi());
        volumeMounts = new ai.sandbox0.server.volume.VolumeMounts(database.jdbi());
        templates = new TemplateCatalog(new TemplateStore(database.jdbi()), new TemplateRules(4L << 30), new NoWarmPools(),
                clock);
        templates.seedBuiltins();
        try {
            credentialSources = new ai.sandbox0.server.credential.CredentialSourceStore(database.jdbi(),
                    ai.sandbox0.server.credential.CredentialCipher.loadOrCreate(dir.resolve("credential-key.json")));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        credentials = new ai.sandbox0.server.credential.CredentialBindings(database.jdbi(), credentialSources, clock);
        manager = restart();
    }

    @AfterEach
    void close() {
        database.close();
    }

    /** A new manager over the same store and host: what a server restart sees. */
    private SandboxManager restart() {
        return new SandboxManager(store, templates, snapshots, host, new SandboxLocks(Duration.ofSeconds(10)),
                new SandboxIds(), clock, Duration.ofSeconds(300), background,
                new QuotaGate(quotas, store), new SandboxVolumes(volumeStore, volumeMounts, clock), credentials);
    }

    private String claim() {
        return manager.claim(ALICE, new ClaimRequest("default", null, null, null)).sandboxId();
    }

    private SandboxRecord record(String id) {
        return store.find(id).orElseThrow();
    }

    private String pausedWithChanges() {
        String id = claim();
        manager.pause(ALICE, id);
        background.runAll();
        assertThat(record(id).status()).isEqualTo(PAUSED);
        return id;
    }

    // ---- network policy ------------------------------------------------------------------------------

    private static ai.sandbox0.api.network.SandboxNetworkPolicy policy(String json) {
        try {
            return ai.sandbox0.api.Json.mapper().readValue(json, ai.sandbox0.api.network.SandboxNetworkPolicy.class);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aNetworkPolicyIsAppliedLiveStoredAndKeptAcrossPauseAndRestart() {
        String id = claim();
        String run = record(id).nodeSandboxId();
        assertThat(manager.network(ALICE, id).mode()).isEqualTo(ai.sandbox0.api.network.NetworkMode.ALLOW_ALL);
        var blocked = policy("""
                {"mode":"block-all","egress":{"trafficRules":[{"name":"gh","action":"allow","domains":["*.github.com"]}]}}""");
        var answered = manager.updateNetwork(ALICE, id, blocked);
        assertThat(answered).isEqualTo(blocked);
        assertThat(host.networks.get(run)).as("in force on the running run").isEqualTo(blocked);
        assertThat(manager.network(ALICE, id)).isEqualTo(blocked);
        assertThatThrownBy(() -> manager.updateNetwork(BOB, id, blocked)).isInstanceOf(Forbidden.class);
        assertThatThrownBy(() -> manager.updateNetwork(ALICE, "nope", blocked))
                .isInstanceOf(ai.sandbox0.server.domain.DomainException.NotFound.class);
        // Paused: stored, and the resumed run starts with it; so does a restarted server's.
        manager.pause(ALICE, id);
        background.runAll();
        var open = policy("{\"mode\":\"allow-all\",\"egress\":{\"deniedCidrs\":[\"203.0.113.0/24\"]}}");
        manager.updateNetwork(ALICE, id, open);
        manager = restart();
        manager.resume(ALICE, id);
        assertThat(host.networks.get(record(id).nodeSandboxId())).isEqualTo(open);
        // PUT /sandboxes/{id} with a network config goes live too.
        manager.update(ALICE, id, new ai.sandbox0.api.sandbox.SandboxUpdateConfig(null, null, null, blocked, null, null));
        assertThat(host.networks.get(record(id).nodeSandboxId())).isEqualTo(blocked);
    }

    @Test
    void aBadPolicyIsA400NamingTheFieldAndChangesNothing() {
        String id = claim();
        String run = record(id).nodeSandboxId();
        assertThatThrownBy(() -> manager.updateNetwork(ALICE, id, policy("""
                {"mode":"block-all","egress":{"trafficRules":[{"action":"allow"}]}}""")))
                .isInstanceOf(ai.sandbox0.server.domain.DomainException.Invalid.class)
                .hasMessage("egress.trafficRules[0] needs at least one of cidrs, domains, ports, appProtocols");
        assertThatThrownBy(() -> manager.updateNetwork(ALICE, id, policy("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"gh"}]}}""")))
                .isInstanceOf(ai.sandbox0.server.domain.DomainException.Invalid.class)
                .hasMessage("egress.credentialRules[0].credentialRef \"gh\" is not in credentialBindings");
        assertThatThrownBy(() -> manager.updateNetwork(ALICE, id, null)).isInstanceOf(ai.sandbox0.server.domain.DomainException.Invalid.class);
        assertThat(host.networks.get(run).mode()).isEqualTo(ai.sandbox0.api.network.NetworkMode.ALLOW_ALL);
        assertThat(record(id).config().network()).isNull();
    }

    @Test
    void credentialBindingsArePinnedWithThePolicyAndReleasedWithTheSandbox() {
        credentialSources.create(ALICE.teamId(), "github", new ai.sandbox0.server.credential.CredentialMaterial(
                ai.sandbox0.api.credential.CredentialSourceResolverKind.STATIC_HEADERS, Map.of("token", "s3cr3t")),
                clock.instant());
        String bindings = """
                {"mode":"allow-all","credentialBindings":[{"ref":"gh","sourceRef":"%s","projection":{"type":"http_headers",
                  "httpHeaders":{"headers":[{"name":"Authorization","valueTemplate":"Bearer {{ .token }}"}]}}}]}""";
        var unknown = policy(bindings.formatted("gitlab"));
        assertThatThrownBy(() -> manager.claim(ALICE, new ClaimRequest("default", null,
                new SandboxConfig(null, null, null, unknown, null, null, null), null)))
                .isInstanceOf(ai.sandbox0.server.domain.DomainException.Invalid.class)
                .hasMessageContaining("credentialBindings[0].sourceRef");
        assertThat(store.activeOf(ALICE.teamId(), QuotaGate.ACTIVE)).as("a refused claim leaves nothing").isEmpty();
        String id = manager.claim(ALICE, new ClaimRequest("default", null,
                new SandboxConfig(null, null, null, policy(bindings.formatted("github")), null, null, null), null))
                .sandboxId();
        assertThat(credentials.refs(id)).containsExactly("gh");
        assertThat(credentials.resolve(id, "gh").orElseThrow().values()).containsEntry("token", "s3cr3t");
        // PUT network without bindings keeps them; with [] drops them.
        manager.updateNetwork(ALICE, id, policy("{\"mode\":\"block-all\"}"));
        assertThat(credentials.refs(id)).containsExactly("gh");
        manager.updateNetwork(ALICE, id, policy("{\"mode\":\"block-all\",\"credentialBindings\":[]}"));
        assertThat(credentials.refs(id)).isEmpty();
        assertThat(manager.network(ALICE, id).credentialBindings()).as("omitted when empty").isNull();
        manager.updateNetwork(ALICE, id, policy(bindings.formatted("github")));
        manager.delete(ALICE, id);
        background.runAll();
        assertThat(credentials.refs(id)).isEmpty();
    }

    @Test
    void theTemplatesPolicyIsTheBaseAndTheSandboxesGoesOnTop() {
        var template = policy("""
                {"mode":"block-all","egress":{"trafficRules":[{"name":"pypi","action":"allow","domains":["pypi.org"]},
                  {"name":"gh","action":"allow","domains":["github.com"]}]}}""");
        var request = policy("""
                {"mode":"block-all","egress":{"trafficRules":[{"name":"gh","action":"deny","domains":["github.com"]},
                  {"action":"allow","cidrs":["192.0.2.0/24"]}]}}""");
        var merged = ai.sandbox0.server.network.NetworkPolicies.effective(template, request);
        assertThat(merged.egress().trafficRules()).extracting(r -> r.name() + ":" + r.action().wire())
                .containsExactly("pypi:allow", "gh:deny", "null:allow");
        assertThat(ai.sandbox0.server.network.NetworkPolicies.effective(null, null).mode())
                .isEqualTo(ai.sandbox0.api.network.NetworkMode.ALLOW_ALL);
    }

    // ---- quotas ---------------------------------------------------------------------------------------

    @Test
    void fiftyConcurrentClaimsAgainstALimitOfTenLetExactlyTenIn() throws Exception {
        quotas.put(ALICE.teamId(), ai.sandbox0.api.tenancy.QuotaDimension.ACTIVE_SANDBOXES, 10, clock.instant());
        var admitted = new java.util.concurrent.atomic.AtomicInteger();
        var refused = new java.util.concurrent.atomic.AtomicInteger();
        var start = new java.util.concurrent.CountDownLatch(1);
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 50; i++) {
                threads.submit(() -> {
                    start.await();
                    try {
                        claim();
                        admitted.incrementAndGet();
                    } catch (ai.sandbox0.server.domain.DomainException.QuotaExceeded e) {
                        refused.incrementAndGet();
                    }
                    return null;
                });
            }
            start.countDown();
        }
        assertThat(admitted.get()).isEqualTo(10);
        assertThat(refused.get()).isEqualTo(40);
        assertThat(store.activeOf(ALICE.teamId(), QuotaGate.ACTIVE)).hasSize(10);
        // Bob's team has no quota: Alice's use is not his.
        assertThat(manager.claim(BOB, new ClaimRequest("default", null, null, null)).sandboxId()).isNotNull();
    }

    @Test
    void aPausedSandboxFreesItsPlaceAndAResumeNeedsOneAgain() {
        quotas.put(ALICE.teamId(), ai.sandbox0.api.tenancy.QuotaDimension.ACTIVE_SANDBOXES, 1, clock.instant());
        String first = pausedWithChanges();
        String second = claim(); // the paused one holds no run
        assertThatThrownBy(this::claim).isInstanceOf(ai.sandbox0.server.domain.DomainException.QuotaExceeded.class)
                .hasMessage("quota exceeded: active_sandboxes limit 1, in use 1, this sandbox needs 1");
        assertThatThrownBy(() -> manager.resume(ALICE, first))
                .isInstanceOf(ai.sandbox0.server.domain.DomainException.QuotaExceeded.class);
        assertThat(record(first).status()).as("a refused resume changes nothing").isEqualTo(PAUSED);
        manager.pause(ALICE, second);
        background.runAll();
        manager.resume(ALICE, first);
        assertThat(record(first).status()).isEqualTo(RUNNING);
    }

    @Test
    void cpuAndMemoryCountTheTemplatesResources() {
        // The default template asks for 500m and 2Gi.
        quotas.put(ALICE.teamId(), ai.sandbox0.api.tenancy.QuotaDimension.CPU_MILLICPU, 1000, clock.instant());
        claim();
        claim();
        assertThatThrownBy(this::claim).hasMessage("quota exceeded: cpu_millicpu limit 1000, in use 1000, this sandbox needs 500");
        quotas.delete(ALICE.teamId(), ai.sandbox0.api.tenancy.QuotaDimension.CPU_MILLICPU);
        quotas.put(ALICE.teamId(), ai.sandbox0.api.tenancy.QuotaDimension.MEMORY_MIB, 5000, clock.instant());
        assertThatThrownBy(this::claim).hasMessage("quota exceeded: memory_mib limit 5000, in use 4096, this sandbox needs 2048");
    }

    // ---- claim ----------------------------------------------------------------------------------------

    @Test
    void aColdClaimRunsGenerationOneOfTheImage() {
        var claimed = manager.claim(ALICE, new ClaimRequest("default", null, null, null));
        SandboxRecord record = record(claimed.sandboxId());
        assertThat(claimed.status()).isEqualTo(RUNNING);
        assertThat(record.status()).isEqualTo(RUNNING);
        assertThat(record.runtimeGeneration()).isEqualTo(1);
        assertThat(record.nodeSandboxId()).isEqualTo(claimed.sandboxId() + "-g1").isEqualTo(claimed.podName());
        assertThat(record.rootfs()).isEqualTo(FakeSandboxHost.IMAGE);
        assertThat(host.alive).containsKey(record.nodeSandboxId());
    }

    @Test
    void aWarmClaimTakesAnIdleRunOfTheTemplatesPool() {
        String pool = NodeWarmPools.poolId(templates.resolve(ALICE, "default").orElseThrow());
        host.addIdle(pool, "default-idle1");
        String id = claim();
        assertThat(record(id).nodeSandboxId()).isEqualTo("default-idle1");
        assertThat(host.calls).doesNotContain("START");
    }

    @Test
    void aClaimThatCannotStartLeavesNothingBehind() {
        host.failing.add(Step.START);
        assertThatThrownBy(this::claim).isInstanceOf(Unavailable.class).hasMessageContaining("start failed");
        assertThat(store.inStatus(List.of(SandboxLifecycleStatus.values()))).isEmpty();
        assertThat(host.alive).isEmpty();

        host.failing.clear();
        host.failing.add(Step.IMAGE);
        assertThatThrownBy(this::claim).isInstanceOf(Unavailable.class).hasMessageContaining("image failed");
        assertThat(store.inStatus(List.of(SandboxLifecycleStatus.values()))).isEmpty();
    }

    @Test
    void unknownTemplatesAndSnapshotsAreNotFoundAndOtherTeamsSandboxesForbidden() {
        assertThatThrownBy(() -> manager.claim(ALICE, new ClaimRequest("nope", null, null, null)))
                .isInstanceOf(NotFound.class).hasMessage("template nope not found");
        assertThatThrownBy(() -> manager.claim(ALICE, new ClaimRequest("default", "rootfs-snapshot-x", null, null)))
                .isInstanceOf(NotFound.class);
        String id = claim();
        assertThatThrownBy(() -> manager.pause(BOB, id)).isInstanceOf(Forbidden.class)
                .hasMessage("sandbox belongs to a different team");
        assertThatThrownBy(() -> manager.delete(BOB, id)).isInstanceOf(Forbidden.class);
        assertThatThrownBy(() -> manager.pause(BOB, "sb-nope")).isInstanceOf(NotFound.class);
        assertThat(record(id).status()).isEqualTo(RUNNING);
    }

    // ---- pause and resume -------------------------------------------------------------------------------

    @Test
    void pauseCheckpointsTheRunAndResumeStartsTheNextGenerationFromIt() {
        String id = claim();
        String firstRun = record(id).nodeSandboxId();
        var pausing = manager.pause(ALICE, id);
        assertThat(pausing.status()).isEqualTo(PAUSING);
        assertThat(record(id).status()).isEqualTo(PAUSING);

        background.runAll();
        SandboxRecord paused = record(id);
        assertThat(paused.status()).isEqualTo(PAUSED);
        assertThat(paused.paused()).isTrue();
        assertThat(paused.nodeSandboxId()).isNull();
        assertThat(paused.rootfs()).isEqualTo(FakeSandboxHost.IMAGE.plus(FakeSandboxHost.layer(firstRun)));
        assertThat(host.alive).isEmpty();
        assertThat(host.keptLogs).contains(id);

        manager.resume(ALICE, id);
        SandboxRecord running = record(id);
        assertThat(running.status()).isEqualTo(RUNNING);
        assertThat(running.runtimeGeneration()).isEqualTo(2);
        assertThat(running.nodeSandboxId()).isEqualTo(id + "-g2");
        assertThat(host.onHost.get(id + "-g2")).isEqualTo(paused.rootfs());
    }

    @Test
    void pauseAndResumeAreIdempotentAndRefusedMidTransition() {
        String id = claim();
        manager.pause(ALICE, id);
        assertThat(manager.pause(ALICE, id).status()).isEqualTo(PAUSING);
        assertThatThrownBy(() -> manager.resume(ALICE, id)).isInstanceOf(Conflict.class)
                .hasMessage("cannot resume a sandbox that is pausing");
        assertThatThrownBy(() -> manager.refresh(ALICE, id, null)).isInstanceOf(Conflict.class);
        background.runAll();
        assertThat(manager.pause(ALICE, id).paused()).isTrue();
        manager.resume(ALICE, id);
        assertThat(manager.resume(ALICE, id).resumed()).isTrue();
        assertThat(record(id).runtimeGeneration()).isEqualTo(2);
    }

    @Test
    void aFailedCheckpointKeepsTheChangesAndResumeSavesThemBeforeStarting() {
        String id = claim();
        String run = record(id).nodeSandboxId();
        host.failing.add(Step.CHECKPOINT);
        manager.pause(ALICE, id);
        background.runAll();

        SandboxRecord failed = record(id);
        assertThat(failed.status()).isEqualTo(FAILED);
        assertThat(failed.statusReason()).contains("checkpoint failed");
        assertThat(manager.detail(failed).statusReason()).as("the API says why").contains("checkpoint failed");
        assertThat(failed.nodeSandboxId()).as("the run whose changes are not saved yet").isEqualTo(run);
        assertThat(host.onHost).containsKey(run);

        // Still failing: the resume says so and does not start from the older chain.
        long starts = host.calls.stream().filter("START"::equals).count();
        assertThatThrownBy(() -> manager.resume(ALICE, id)).isInstanceOf(Unavailable.class)
                .hasMessageContaining("could not be saved");
        assertThat(record(id).status()).isEqualTo(FAILED);
        assertThat(host.calls.stream().filter("START"::equals).count()).isEqualTo(starts);

        host.failing.clear();
        manager.resume(ALICE, id);
        SandboxRecord running = record(id);
        assertThat(running.status()).isEqualTo(RUNNING);
        assertThat(manager.detail(running).statusReason()).isNull();
        assertThat(running.rootfs()).isEqualTo(FakeSandboxHost.IMAGE.plus(FakeSandboxHost.layer(run)));
        assertThat(host.onHost.get(running.nodeSandboxId())).isEqualTo(running.rootfs());
    }

    @Test
    void anAutoResumeOfAFailedSandboxAlsoSavesItsChangesFirst() {
        String id = claim();
        String run = record(id).nodeSandboxId();
        host.failing.add(Step.CHECKPOINT);
        manager.pause(ALICE, id);
        background.runAll();
        assertThatThrownBy(() -> manager.procdFor(ALICE, id)).isInstanceOf(Unavailable.class)
                .hasMessageContaining("could not be saved");
        assertThat(record(id).status()).isEqualTo(FAILED);

        host.failing.clear();
        assertThat(manager.procdFor(ALICE, id).token()).isEqualTo("token-" + id + "-g2");
        assertThat(record(id).rootfs()).isEqualTo(FakeSandboxHost.IMAGE.plus(FakeSandboxHost.layer(run)));
    }

    @Test
    void aResumeThatCannotStartLeavesTheSandboxPausedWithTheReason() {
        String id = pausedWithChanges();
        LayerChain chain = record(id).rootfs();
        host.failing.add(Step.START);
        assertThatThrownBy(() -> manager.resume(ALICE, id)).isInstanceOf(Unavailable.class);
        SandboxRecord paused = record(id);
        assertThat(paused.status()).isEqualTo(PAUSED);
        assertThat(paused.statusReason()).contains("resume failed");
        assertThat(paused.runtimeGeneration()).isEqualTo(1);
        assertThat(paused.nodeSandboxId()).isNull();
        assertThat(paused.rootfs()).isEqualTo(chain);

        host.failing.clear();
        manager.resume(ALICE, id);
        assertThat(record(id).runtimeGeneration()).isEqualTo(2);
    }

    @Test
    void aRuntimeCallResumesAPausedSandboxUnlessAutoResumeIsOff() {
        String id = pausedWithChanges();
        assertThat(manager.procdFor(ALICE, id).token()).isEqualTo("token-" + id + "-g2");
        assertThat(record(id).status()).isEqualTo(RUNNING);

        manager.update(ALICE, id, new SandboxUpdateConfig(null, null, null, null, false, null));
        manager.pause(ALICE, id);
        background.runAll();
        assertThatThrownBy(() -> manager.procdFor(ALICE, id)).isInstanceOf(Unavailable.class)
                .hasMessageContaining("auto_resume is disabled");
    }

    // ---- update, delete, TTLs ---------------------------------------------------------------------------

    @Test
    void anEnvUpdateTheRunRefusesIsNotStored() {
        String id = claim();
        host.failing.add(Step.APPLY_ENV);
        assertThatThrownBy(() -> manager.update(ALICE, id, new SandboxUpdateConfig(Map.of("A", "1"), null, null, null,
                null, null))).isInstanceOf(Unavailable.class);
        assertThat(record(id).config().envVars()).isEmpty();
        host.failing.clear();
        manager.update(ALICE, id, new SandboxUpdateConfig(Map.of("A", "1"), null, null, null, null, null));
        assertThat(record(id).config().envVars()).containsEntry("A", "1");
    }

    @Test
    void deleteKillsTheRunAtOnceAndRemovesItThenTheRecordInTheBackground() {
        String id = claim();
        String run = record(id).nodeSandboxId();
        manager.delete(ALICE, id);
        // Gone for its caller at once: nothing of it runs, the API does not know it.
        assertThat(host.calls).contains("KILL");
        assertThat(host.alive).doesNotContainKey(run);
        assertThatThrownBy(() -> manager.visible(ALICE, id)).isInstanceOf(NotFound.class);
        assertThatThrownBy(() -> manager.delete(ALICE, id)).isInstanceOf(NotFound.class);
        assertThat(manager.list(ALICE, null, null, null, 50, 0).items()).extracting(SandboxRecord::id).doesNotContain(id);
        assertThat(record(id).status()).as("until its teardown").isEqualTo(TERMINATING);
        assertThat(host.onHost).containsKey(run);

        background.runAll();
        assertThat(store.find(id)).isEmpty();
        assertThat(host.onHost).doesNotContainKey(run);
    }

    @Test
    void aDeleteWhoseTeardownFailsStaysTerminatingUntilARetryRemovesTheRun() {
        String id = claim();
        String run = record(id).nodeSandboxId();
        host.failing.add(Step.DESTROY);
        manager.delete(ALICE, id);
        background.runAll();
        SandboxRecord terminating = record(id);
        assertThat(terminating.status()).isEqualTo(TERMINATING);
        assertThat(terminating.statusReason()).contains("teardown failed");
        assertThat(manager.detail(terminating).statusReason()).contains("teardown failed");
        assertThat(host.onHost).containsKey(run);
        assertThatThrownBy(() -> manager.resume(ALICE, id)).as("deleted, for its owner").isInstanceOf(NotFound.class);

        manager.reap(); // too soon: left alone
        assertThat(host.calls.stream().filter("DESTROY"::equals)).hasSize(1);
        clock.advance(SandboxManager.TEARDOWN_RETRY.plusSeconds(1));
        manager.reap(); // still failing
        assertThat(record(id).status()).isEqualTo(TERMINATING);

        host.failing.clear();
        clock.advance(SandboxManager.TEARDOWN_RETRY.plusSeconds(1));
        manager.reap();
        assertThat(store.find(id)).isEmpty();
        assertThat(host.onHost).doesNotContainKey(run);
    }

    @Test
    void theSoftTtlPausesAndTheHardTtlDeletes() {
        var config = new SandboxConfig(Map.of(), 60, 600, null, null, null, List.of());
        String id = manager.claim(ALICE, new ClaimRequest("default", null, config, null)).sandboxId();
        clock.advance(Duration.ofSeconds(61));
        manager.reap();
        background.runAll();
        assertThat(record(id).status()).isEqualTo(PAUSED);
        clock.advance(Duration.ofSeconds(600));
        manager.reap();
        assertThat(store.find(id)).isEmpty();
    }

    // ---- volumes ----------------------------------------------------------------------------------------

    /** Alice's team template with a writable mount at /data and a read-only one at /shared. */
    private void volumeTemplate() {
        templates.create(ALICE, "vols", new ai.sandbox0.api.template.SandboxTemplateSpec(null, null, null,
                new ai.sandbox0.api.template.ContainerSpec("default", null, null,
                        new ai.sandbox0.api.template.ResourceQuota("500m", "2Gi", null), null),
                List.of(new ai.sandbox0.api.template.VolumeMountSpec("data", "/data", null),
                        new ai.sandbox0.api.template.VolumeMountSpec("shared", "/shared", true)),
                null, null, null, null, null));
    }

    private String volume(Principal owner, ai.sandbox0.api.volume.VolumeAccessMode mode) {
        String id = java.util.UUID.randomUUID().toString();
        volumeStore.insert(new ai.sandbox0.server.volume.VolumeRecord(id, owner.teamId(), owner.userId(), null, 0, 0,
                mode, ai.sandbox0.server.volume.VolumeRecord.State.READY, 0, clock.instant(), clock.instant()));
        return id;
    }

    private String claimWith(String... volumeAndPoint) {
        var mounts = new java.util.ArrayList<ai.sandbox0.api.sandbox.ClaimMountRequest>();
        for (int i = 0; i < volumeAndPoint.length; i += 2) {
            mounts.add(new ai.sandbox0.api.sandbox.ClaimMountRequest(volumeAndPoint[i], volumeAndPoint[i + 1]));
        }
        return manager.claim(ALICE, new ClaimRequest("vols", null, null, mounts)).sandboxId();
    }

    private List<String> holders(String volumeId) {
        return volumeMounts.ofVolume(volumeId).stream().map(ai.sandbox0.server.volume.VolumeMounts.Mount::sandboxId).toList();
    }

    @Test
    void aClaimWithVolumesStartsColdWithThemAndShowsThem() {
        volumeTemplate();
        host.addIdle(NodeWarmPools.poolId(templates.resolve(ALICE, "vols").orElseThrow()), "vols-idle1");
        String data = volume(ALICE, ai.sandbox0.api.volume.VolumeAccessMode.RWO);
        String shared = volume(ALICE, ai.sandbox0.api.volume.VolumeAccessMode.ROX);
        var claimed = manager.claim(ALICE, new ClaimRequest("vols", null, null, List.of(
                new ai.sandbox0.api.sandbox.ClaimMountRequest(" " + shared + " ", "/shared/"),
                new ai.sandbox0.api.sandbox.ClaimMountRequest(data, "/data"))));

        assertThat(claimed.podName()).as("not the idle run: it has no volumes").isEqualTo(claimed.sandboxId() + "-g1");
        assertThat(host.mounted.get(claimed.podName())).containsExactly(
                new SandboxHost.VolumeMount(data, "/data", false), new SandboxHost.VolumeMount(shared, "/shared", true));
        assertThat(claimed.bootstrapMounts()).extracting(m -> m.sandboxVolumeId() + " " + m.mountPoint() + " "
                + m.state().wire()).containsExactly(shared + " /shared mounted", data + " /data mounted");
        assertThat(claimed.bootstrapMounts()).allMatch(m -> m.mountedAt().equals(clock.instant()));
        assertThat(manager.detail(record(claimed.sandboxId())).mounts()).containsExactlyInAnyOrder(
                new ai.sandbox0.api.sandbox.ClaimMountRequest(data, "/data"),
                new ai.sandbox0.api.sandbox.ClaimMountRequest(shared, "/shared"));
        assertThat(manager.detail(record(claim())).mounts()).as("none: absent").isNull();
    }

    @Test
    void aPausedSandboxKeepsItsVolumesAndMountsThemAgainOnResume() {
        volumeTemplate();
        String data = volume(ALICE, ai.sandbox0.api.volume.VolumeAccessMode.RWO);
        String id = claimWith(data, "/data");
        manager.pause(ALICE, id);
        background.runAll();
        assertThat(holders(data)).as("held while paused").containsExactly(id);
        assertThatThrownBy(() -> claimWith(data, "/data")).isInstanceOf(ai.sandbox0.server.volume.VolumeMounts.Conflict.class);

        manager.resume(ALICE, id);
        assertThat(host.mounted.get(id + "-g2")).containsExactly(new SandboxHost.VolumeMount(data, "/data", false));
        manager.pause(ALICE, id);
        background.runAll();
        assertThat(manager.procdFor(ALICE, id).token()).as("an auto-resume too").isEqualTo("token-" + id + "-g3");
        assertThat(host.mounted.get(id + "-g3")).containsExactly(new SandboxHost.VolumeMount(data, "/data", false));
    }

    @Test
    void anRwoVolumeHasOneWriterUntilItsSandboxIsDeleted() {
        volumeTemplate();
        String data = volume(ALICE, ai.sandbox0.api.volume.VolumeAccessMode.RWO);
        String a = claimWith(data, "/data");
        assertThatThrownBy(() -> claimWith(data, "/data")).isInstanceOf(ai.sandbox0.server.volume.VolumeMounts.Conflict.class)
                .hasMessageContaining("already mounted writable by sandbox " + a);
        assertThatThrownBy(() -> claimWith(data, "/shared")).as("not even to read it while it is written")
                .isInstanceOf(ai.sandbox0.server.volume.VolumeMounts.Conflict.class);
        assertThat(store.inStatus(List.of(SandboxLifecycleStatus.values()))).as("refused claims leave nothing")
                .extracting(SandboxRecord::id).containsExactly(a);
        assertThat(host.alive.keySet()).containsExactly(a + "-g1");

        manager.delete(ALICE, a);
        assertThat(holders(data)).isEmpty();
        String b = claimWith(data, "/data");
        assertThat(holders(data)).containsExactly(b);
    }

    @Test
    void aReadOnlyMountOfAnRwoVolumeIsSharedWithOtherReaders() {
        volumeTemplate();
        String data = volume(ALICE, ai.sandbox0.api.volume.VolumeAccessMode.RWO);
        String a = claimWith(data, "/shared");
        String b = claimWith(data, "/shared");
        assertThat(host.mounted.get(a + "-g1")).containsExactly(new SandboxHost.VolumeMount(data, "/shared", true));
        assertThat(holders(data)).containsExactlyInAnyOrder(a, b);
        assertThatThrownBy(() -> claimWith(data, "/data")).as("a writer waits for the readers")
                .isInstanceOf(ai.sandbox0.server.volume.VolumeMounts.Conflict.class);
    }

    @Test
    void volumeHoldsGoWhereverTheSandboxGoes() {
        volumeTemplate();
        String data = volume(ALICE, ai.sandbox0.api.volume.VolumeAccessMode.RWO);

        host.failing.add(Step.START);
        assertThatThrownBy(() -> claimWith(data, "/data")).isInstanceOf(Unavailable.class);
        assertThat(holders(data)).as("a claim that cannot start").isEmpty();
        host.failing.clear();

        crashDuring(Step.START, () -> claimWith(data, "/data"));
        assertThat(holders(data)).as("a claim a crash interrupted, removed by recovery").isEmpty();

        var config = new SandboxConfig(Map.of(), null, 600, null, null, null, List.of());
        String expiring = manager.claim(ALICE, new ClaimRequest("vols", null, config,
                List.of(new ai.sandbox0.api.sandbox.ClaimMountRequest(data, "/data")))).sandboxId();
        clock.advance(Duration.ofSeconds(601));
        manager.reap();
        assertThat(store.find(expiring)).isEmpty();
        assertThat(holders(data)).as("a hard TTL").isEmpty();

        String stuck = claimWith(data, "/data");
        host.failing.add(Step.DESTROY);
        manager.delete(ALICE, stuck);
        assertThat(holders(data)).as("kept while its run may still have the volume mounted").containsExactly(stuck);
        host.failing.clear();
        clock.advance(SandboxManager.TEARDOWN_RETRY.plusSeconds(1));
        manager.reap();
        assertThat(holders(data)).as("a delete the reaper finished").isEmpty();

        String deleting = claimWith(data, "/data");
        crashDuring(Step.DESTROY, () -> manager.delete(ALICE, deleting));
        assertThat(holders(data)).as("a delete recovery finished").isEmpty();
    }

    @Test
    void aForkMountsNoneOfTheSourcesVolumes() {
        volumeTemplate();
        String data = volume(ALICE, ai.sandbox0.api.volume.VolumeAccessMode.RWO);
        String id = claimWith(data, "/data");
        manager.pause(ALICE, id);
        background.runAll();
        var rootfs = new RootfsOperations(manager, store, snapshots, new SandboxLocks(Duration.ofSeconds(10)),
                new SandboxIds(), clock);
        var fork = rootfs.fork(ALICE, id);
        assertThat(fork.sandbox().mounts()).isNull();
        manager.resume(ALICE, fork.sandbox().id());
        assertThat(host.mounted.get(fork.sandbox().id() + "-g2")).isEmpty();
        assertThat(holders(data)).containsExactly(id);
    }

    @Test
    void claimMountsAreCheckedBeforeAnythingIsRecorded() {
        volumeTemplate();
        String rwo = volume(ALICE, ai.sandbox0.api.volume.VolumeAccessMode.RWO);
        String rox = volume(ALICE, ai.sandbox0.api.volume.VolumeAccessMode.ROX);
        String rwx = volume(ALICE, ai.sandbox0.api.volume.VolumeAccessMode.RWX);
        String bobs = volume(BOB, ai.sandbox0.api.volume.VolumeAccessMode.RWO);
        assertThatThrownBy(() -> claimWith(rwo, "/elsewhere")).isInstanceOf(DomainException.Invalid.class)
                .hasMessage("invalid claim request: mounts[0].mount_point \"/elsewhere\" is not declared by template vols");
        assertThatThrownBy(() -> claimWith(rox, "/data")).isInstanceOf(DomainException.Invalid.class)
                .hasMessage("invalid claim request: volume " + rox + " is ROX but template mount /data is read-write");
        assertThatThrownBy(() -> claimWith(rwx, "/shared")).isInstanceOf(DomainException.Invalid.class)
                .hasMessageContaining("RWX volumes cannot be mounted into sandboxes");
        assertThatThrownBy(() -> claimWith(bobs, "/data")).isInstanceOf(NotFound.class)
                .hasMessage("sandbox volume " + bobs + " not found");
        assertThatThrownBy(() -> claimWith("no-such-volume", "/data")).isInstanceOf(NotFound.class);
        assertThatThrownBy(() -> claimWith(rwo, "/data", rox, "/data")).isInstanceOf(DomainException.Invalid.class)
                .hasMessage("invalid claim request: duplicate mount_point \"/data\" in claim mounts");
        assertThat(store.inStatus(List.of(SandboxLifecycleStatus.values()))).isEmpty();
        assertThat(holders(rwo)).isEmpty();
        assertThat(host.calls).doesNotContain("START");
    }

    // ---- a server that dies at each step, and the one that replaces it ------------------------------------

    private void crashDuring(Step step, Runnable command) {
        host.crashing.add(step);
        assertThatThrownBy(command::run).isInstanceOf(Crash.class);
        host.crashing.clear();
        background.discard(); // the dead server's background work died with it
        manager = restart();
        manager.recover();
        background.runAll();
    }

    @Test
    void aClaimInterruptedWhileStartingIsRemoved() {
        crashDuring(Step.START, this::claim);
        assertThat(store.inStatus(List.of(SandboxLifecycleStatus.values()))).isEmpty();
        assertThat(host.alive).isEmpty();
    }

    @Test
    void aClaimWhoseRunCameUpBeforeTheCrashIsAdopted() {
        String id = claim();
        // The store as a crash right after the start left it: the run is up, the record still starting.
        store.update(record(id).withStatus(STARTING, null, clock.instant()), RUNNING);
        manager = restart();
        manager.recover();
        assertThat(record(id).status()).isEqualTo(RUNNING);
        assertThat(host.alive).containsKey(record(id).nodeSandboxId());
    }

    @Test
    void aPauseInterruptedDuringTheCheckpointIsFinishedWithTheChanges() {
        String id = claim();
        String run = record(id).nodeSandboxId();
        crashDuring(Step.CHECKPOINT, () -> {
            manager.pause(ALICE, id);
            background.runAll();
        });
        SandboxRecord paused = record(id);
        assertThat(paused.status()).isEqualTo(PAUSED);
        assertThat(paused.rootfs()).isEqualTo(FakeSandboxHost.IMAGE.plus(FakeSandboxHost.layer(run)));
    }

    @Test
    void aRunThatDiedWithTheServerIsCheckpointedNotLost() {
        String id = claim();
        String run = record(id).nodeSandboxId();
        host.kill(run);
        manager = restart();
        manager.recover();
        background.runAll();
        SandboxRecord paused = record(id);
        assertThat(paused.status()).isEqualTo(PAUSED);
        assertThat(paused.rootfs()).isEqualTo(FakeSandboxHost.IMAGE.plus(FakeSandboxHost.layer(run)));
    }

    @Test
    void aRunStillAliveAfterTheRestartIsAdopted() {
        String id = claim();
        String run = record(id).nodeSandboxId();
        manager = restart();
        manager.recover();
        assertThat(record(id).status()).isEqualTo(RUNNING);
        assertThat(record(id).nodeSandboxId()).isEqualTo(run);
    }

    @Test
    void aResumeInterruptedWhileStartingIsPausedAgainAtTheSameGeneration() {
        String id = pausedWithChanges();
        crashDuring(Step.START, () -> manager.resume(ALICE, id));
        SandboxRecord paused = record(id);
        assertThat(paused.status()).isEqualTo(PAUSED);
        assertThat(paused.runtimeGeneration()).isEqualTo(1);
        assertThat(paused.nodeSandboxId()).isNull();
        manager.resume(ALICE, id);
        assertThat(record(id).runtimeGeneration()).isEqualTo(2);
    }

    @Test
    void aResumeWhoseRunCameUpBeforeTheCrashIsAdoptedAsTheNextGeneration() {
        String id = pausedWithChanges();
        manager.resume(ALICE, id);
        SandboxRecord running = record(id);
        // The store as a crash right after the start left it (the generation rule of SandboxRecord).
        store.update(running.withRuntime(running.nodeSandboxId(), 1, clock.instant()).withStatus(RESUMING, null,
                clock.instant()), RUNNING);
        manager = restart();
        manager.recover();
        SandboxRecord adopted = record(id);
        assertThat(adopted.status()).isEqualTo(RUNNING);
        assertThat(adopted.runtimeGeneration()).isEqualTo(2);
        assertThat(adopted.nodeSandboxId()).isEqualTo(id + "-g2");
    }

    @Test
    void aDeleteInterruptedDuringTheTeardownIsFinished() {
        String id = claim();
        String run = record(id).nodeSandboxId();
        manager.delete(ALICE, id); // answered; the teardown is in the background when the server dies
        crashDuring(Step.DESTROY, background::runAll);
        assertThat(store.find(id)).isEmpty();
        assertThat(host.onHost).doesNotContainKey(run);
    }

    @Test
    void aFailedSandboxKeepsItsUnsavedRunAcrossARestart() {
        String id = claim();
        String run = record(id).nodeSandboxId();
        host.failing.add(Step.CHECKPOINT);
        manager.pause(ALICE, id);
        background.runAll();
        manager = restart();
        manager.recover();
        assertThat(record(id).status()).isEqualTo(FAILED);
        assertThat(record(id).nodeSandboxId()).isEqualTo(run);
        assertThat(SandboxManager.expectedRuns(store)).contains(run);
    }

    // ---- concurrency ------------------------------------------------------------------------------------

    @Test
    void concurrentPauseResumeAndDeleteOnOneSandboxEndConsistent() throws Exception {
        for (int round = 0; round < 20; round++) {
            String id = claim();
            ExecutorService pool = Executors.newFixedThreadPool(6);
            var start = new CountDownLatch(1);
            var unexpected = new ConcurrentLinkedQueue<Throwable>();
            for (int t = 0; t < 6; t++) {
                int worker = t;
                pool.execute(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < 5; i++) {
                            int pick = ThreadLocalRandom.current().nextInt(worker == 0 && i == 4 ? 3 : 2);
                            try {
                                switch (pick) {
                                    case 0 -> manager.pause(ALICE, id);
                                    case 1 -> manager.resume(ALICE, id);
                                    default -> manager.delete(ALICE, id);
                                }
                            } catch (Conflict | NotFound | Unavailable expected) {
                                // refused in the phase it met, or already deleted
                            }
                            if (ThreadLocalRandom.current().nextBoolean()) {
                                background.runAll();
                            }
                        }
                    } catch (Throwable e) {
                        unexpected.add(e);
                    }
                });
            }
            start.countDown();
            pool.shutdown();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            background.runAll();
            assertThat(unexpected).isEmpty();

            var record = store.find(id);
            if (record.isEmpty()) {
                assertThat(host.alive.keySet()).noneMatch(run -> run.startsWith(id));
                assertThat(host.onHost.keySet()).noneMatch(run -> run.startsWith(id));
            } else {
                SandboxRecord r = record.get();
                assertThat(r.status()).as("settled phase").isIn(RUNNING, PAUSED);
                List<String> runs = host.alive.keySet().stream().filter(run -> run.startsWith(id)).toList();
                if (r.status() == RUNNING) {
                    assertThat(runs).containsExactly(r.nodeSandboxId());
                    assertThat(r.nodeSandboxId()).isEqualTo(id + "-g" + r.runtimeGeneration());
                } else {
                    assertThat(runs).isEmpty();
                    assertThat(r.nodeSandboxId()).isNull();
                }
                manager.delete(ALICE, id);
            }
        }
    }

    /** Background work run when the test says: the pause's second half, leftover teardowns. */
    private static final class Background implements Executor {
        private final Queue<Runnable> queue = new ConcurrentLinkedQueue<>();

        @Override
        public void execute(Runnable task) {
            queue.add(task);
        }

        void runAll() {
            Runnable task;
            while ((task = queue.poll()) != null) {
                task.run();
            }
        }

        void discard() {
            queue.clear();
        }
    }
}
