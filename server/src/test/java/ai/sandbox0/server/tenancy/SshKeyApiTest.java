package ai.sandbox0.server.tenancy;

import static ai.sandbox0.server.ApiReplies.assertError;
import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.tenancy.SshPublicKey;
import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.store.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code /users/me/ssh-keys} over HTTP, on both stores, with keys made by ssh-keygen. */
@ParameterizedClass
@EnumSource(TestDatabases.Kind.class)
class SshKeyApiTest {

    private static final String KEYS = "/users/me/ssh-keys";

    @Parameter
    TestDatabases.Kind storeKind;

    @TempDir
    Path dataDir;

    @TempDir
    Path keyDir;

    private TestServer server;
    private SshKeygen keygen;
    private SshKeyStore store;
    /** The admin's user session: keys are managed by people, not by API keys. */
    private String session;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(dataDir, storeKind);
        keygen = new SshKeygen(keyDir);
        store = new SshKeyStore(server.jdbi());
        session = server.login("admin@localhost", server.adminPassword());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void addListAndDelete() throws Exception {
        String line = keygen.generate("ed25519", 0, "ada@laptop").publicLine();

        JsonNode added = ok(add("laptop", line, session), 201);

        assertThat(UUID.fromString(added.get("id").asText())).isNotNull();
        assertThat(added.get("name").asText()).isEqualTo("laptop");
        assertThat(added.get("public_key").asText()).isEqualTo(line);
        assertThat(added.get("key_type").asText()).isEqualTo("ssh-ed25519");
        assertThat(added.get("fingerprint_sha256").asText()).isEqualTo(keygen.fingerprint(line));
        assertThat(added.get("comment").asText()).isEqualTo("ada@laptop");
        Instant created = Instant.parse(added.get("created_at").asText());
        assertThat(Instant.parse(added.get("updated_at").asText())).isEqualTo(created);

        JsonNode listed = ok(server.authed(KEYS), 200).get("ssh_keys");
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0)).isEqualTo(added);

        String id = added.get("id").asText();
        assertThat(ok(server.json("DELETE", KEYS + "/" + id, null, session), 200).get("message").asText())
                .isEqualTo("SSH public key deleted");
        assertThat(ok(server.authed(KEYS), 200).get("ssh_keys")).isEmpty();
        assertError(server.json("DELETE", KEYS + "/" + id, null, session), 404, "not_found", "SSH public key not found");
    }

    @Test
    void everyOfferedKeyTypeIsTakenAndListedOldestFirst() throws Exception {
        String ecdsa256 = keygen.generate("ecdsa", 256, "e").publicLine();
        List<String> lines = List.of(
                keygen.generate("ed25519", 0, "a").publicLine(),
                keygen.generate("rsa", 2048, "b").publicLine(),
                ecdsa256,
                keygen.generate("ecdsa", 384, "d").publicLine(),
                keygen.generate("ecdsa", 521, "f").publicLine(),
                SshKeygen.asSecurityKey(keygen.generate("ed25519", 0, "x").publicLine(), "yubikey"),
                SshKeygen.asSecurityKey(ecdsa256, "solokey"));
        List<String> types = List.of("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com");

        for (int i = 0; i < lines.size(); i++) {
            JsonNode added = ok(add("key " + i, lines.get(i), session), 201);
            assertThat(added.get("key_type").asText()).isEqualTo(types.get(i));
            assertThat(added.get("fingerprint_sha256").asText()).isEqualTo(keygen.fingerprint(lines.get(i)));
        }

        List<SshPublicKey> listed = list(session);
        assertThat(listed).extracting(SshPublicKey::publicKey).containsExactlyInAnyOrderElementsOf(lines);
        assertThat(listed).extracting(SshPublicKey::createdAt).isSorted();
    }

    @Test
    void inputIsNormalised() throws Exception {
        String[] parts = keygen.generate("ed25519", 0, "c").publicLine().split(" ");

        JsonNode added = ok(add("  work  ", "  " + parts[0] + "\t " + parts[1] + "  my work key \n",
                session), 201);

        assertThat(added.get("name").asText()).isEqualTo("work");
        assertThat(added.get("public_key").asText()).isEqualTo(parts[0] + " " + parts[1] + " my work key");
        assertThat(added.get("comment").asText()).isEqualTo("my work key");

        String[] other = keygen.generate("ed25519", 0, "c").publicLine().split(" ");
        JsonNode bare = ok(add("bare", other[0] + " " + other[1], session), 201);
        assertThat(bare.has("comment")).isFalse();
    }

    @Test
    void aKeyBelongsToOneUser() throws Exception {
        SshKeygen.Pair pair = keygen.generate("ed25519", 0, "ada@laptop");
        String id = ok(add("laptop", pair.publicLine(), session), 201).get("id").asText();
        server.createUser("bob@example.com", "bob-password");
        String bobKey = server.login("bob@example.com", "bob-password");

        assertError(add("again", pair.publicLine(), session), 409, "conflict",
                "you have already registered this SSH public key as 'laptop' (id " + id + ")");
        // The comment is no part of the key.
        assertError(add("again", pair.publicLine().replace("ada@laptop", "other comment"), session), 409,
                "conflict", "already registered");
        HttpResponse<String> taken = add("mine", pair.publicLine(), bobKey);
        assertError(taken, 409, "conflict", "this SSH public key is registered to another user");
        assertThat(taken.body()).doesNotContain(id, "laptop", server.adminUserId(), "admin");
        assertThat(list(bobKey)).isEmpty();
    }

    @Test
    void invalidInputIs400() throws Exception {
        String admin = session;
        SshKeygen.Pair ed = keygen.generate("ed25519", 0, "c");
        String data = ed.publicLine().split(" ")[1];

        assertError(add("k", "garbage", admin), 400, "bad_request",
                "public_key is not a valid OpenSSH public key: unknown key type 'garbage'");
        assertError(add("k", "ssh-ed25519 " + data.substring(0, 60), admin), 400, "bad_request",
                "the key data is truncated or corrupt");
        assertError(add("k", ed.privateText(), admin), 400, "bad_request", "this is a private key");
        assertError(add("k", keygen.generate("rsa", 1024, "c").publicLine(), admin), 400, "bad_request",
                "RSA keys need at least 2048 bits and this one has 1024");
        assertError(add("k", "ssh-foo " + "A".repeat(20_000), admin), 400, "bad_request", "longer than 16384 bytes");
        HttpResponse<String> longType = add("k", "y".repeat(5_000) + " AAAA", admin);
        assertError(longType, 400, "bad_request", "unknown key type 'yyyy");
        assertThat(longType.body()).hasSizeLessThan(1_000);

        assertError(add(null, ed.publicLine(), admin), 400, "bad_request", "name is required");
        assertError(add("  ", ed.publicLine(), admin), 400, "bad_request", "name is required");
        assertError(add("n".repeat(256), ed.publicLine(), admin), 400, "bad_request",
                "name must be at most 255 characters");
        assertError(add("k", null, admin), 400, "bad_request", "public_key is required");
        assertError(add("k", " ", admin), 400, "bad_request", "public_key is required");
        assertError(server.json("POST", KEYS, null, session), 400, "bad_request", "request body is required");
        assertThat(list(admin)).isEmpty();
    }

    @Test
    void anotherUsersKeysAreNeitherListedNorDeletable() throws Exception {
        String bob = server.createUser("bob@example.com");
        var added = store.add(bob, "bob's", OpenSshPublicKey.parse(keygen.generate("ed25519", 0, "bob").publicLine()),
                Instant.now());
        String bobsKeyId = ((SshKeyStore.Added.Created) added).key().id();

        assertThat(list(session)).isEmpty();
        assertError(server.json("DELETE", KEYS + "/" + bobsKeyId, null, session), 404, "not_found", "SSH public key not found");
        assertError(server.json("DELETE", KEYS + "/" + UUID.randomUUID(), null, session), 404, "not_found",
                "SSH public key not found");
        assertError(server.json("DELETE", KEYS + "/not-a-uuid", null, session), 400, "bad_request", "ssh key id must be a UUID");
        assertThat(store.list(bob)).extracting(SshPublicKey::id).containsExactly(bobsKeyId);
    }

    @Test
    void keysAreManagedInUserSessionsOnly() throws Exception {
        String serviceKey = server.keyFor(null, Role.ADMIN);
        String line = keygen.generate("ed25519", 0, "c").publicLine();

        assertError(server.get(KEYS, "Authorization", "Bearer " + serviceKey), 401, "unauthorized",
                "user authentication required");
        assertError(add("k", line, serviceKey), 403, "forbidden", "needs a user session");
        assertError(server.json("DELETE", KEYS + "/" + UUID.randomUUID(), null, serviceKey), 403, "forbidden",
                "needs a user session");
        // An API key of a user lists the user's keys but cannot add one: that would hand SSH access to whoever
        // holds the key, whatever its role.
        String viewerKey = server.keyWithRoles(Role.VIEWER);
        assertThat(server.get(KEYS, "Authorization", "Bearer " + viewerKey).statusCode()).isEqualTo(200);
        assertError(add("k", line, viewerKey), 403, "forbidden", "needs a user session");
        assertError(server.get(KEYS), 401, "unauthorized", "missing authorization header");
    }

    @Test
    void aUserHasAtMostAHundredKeys() throws Exception {
        String admin = server.adminUserId();
        var generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        for (int i = 0; i < SshKeyStore.MAX_PER_USER; i++) {
            String line = PublicKeyEntry.toString(generator.generateKeyPair().getPublic());
            assertThat(store.add(admin, "k" + i, OpenSshPublicKey.parse(line), Instant.now()))
                    .isInstanceOf(SshKeyStore.Added.Created.class);
        }

        assertError(add("one more", keygen.generate("ed25519", 0, "c").publicLine(), session), 409,
                "conflict", "you already have 100 SSH public keys, the most a user may register; delete one first");
        assertThat(list(session)).hasSize(SshKeyStore.MAX_PER_USER);
    }

    @Test
    void theGatewayFindsTheUserByThePresentedKey() throws Exception {
        String line = keygen.generate("ed25519", 0, "c").publicLine();
        String fingerprint = ok(add("k", line, session), 201).get("fingerprint_sha256").asText();
        var presented = PublicKeyEntry.parsePublicKeyEntry(line).resolvePublicKey(null, Map.of(),
                PublicKeyEntryResolver.FAILING);
        var stranger = PublicKeyEntry.parsePublicKeyEntry(keygen.generate("ed25519", 0, "c").publicLine())
                .resolvePublicKey(null, Map.of(), PublicKeyEntryResolver.FAILING);

        assertThat(store.userIdFor(presented)).contains(server.adminUserId());
        assertThat(store.userIdByFingerprint(fingerprint)).contains(server.adminUserId());
        assertThat(store.userIdFor(stranger)).isEmpty();
    }

    @Test
    void aDeletedUsersKeysGoWithThem() throws Exception {
        String bob = server.createUser("bob@example.com");
        String line = keygen.generate("ed25519", 0, "bob").publicLine();
        store.add(bob, "bob's", OpenSshPublicKey.parse(line), Instant.now());

        server.jdbi().useHandle(h -> h.execute("DELETE FROM users WHERE id = ?", bob));

        assertThat(store.list(bob)).isEmpty();
        assertThat(store.userIdByFingerprint(OpenSshPublicKey.parse(line).fingerprintSha256())).isEmpty();
    }

    private HttpResponse<String> add(String name, String publicKey, String apiKey) throws Exception {
        var body = new HashMap<String, String>();
        body.put("name", name);
        body.put("public_key", publicKey);
        return server.json("POST", KEYS, Json.mapper().writeValueAsString(body), apiKey);
    }

    private List<SshPublicKey> list(String apiKey) throws Exception {
        JsonNode keys = ok(server.get(KEYS, "Authorization", "Bearer " + apiKey), 200).get("ssh_keys");
        var out = new ArrayList<SshPublicKey>();
        for (JsonNode key : keys) {
            out.add(Json.mapper().treeToValue(key, SshPublicKey.class));
        }
        return out;
    }
}
