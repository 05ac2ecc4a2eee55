package ai.sandbox0.server.identity.oidc;

import static ai.sandbox0.server.ApiReplies.assertError;
import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.ServerConfig;
import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.store.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * OIDC login over HTTP against a real OpenID provider process ({@link TestOpenIdProvider}), on both stores:
 * the browser flow with its CLI and web hand-overs, the device flow, and linked identities.
 */
@ParameterizedClass
@EnumSource(TestDatabases.Kind.class)
class OidcApiTest {

    private static TestOpenIdProvider provider;

    @Parameter
    TestDatabases.Kind storeKind;

    @TempDir
    Path dataDir;

    private TestServer server;

    @BeforeAll
    static void startProvider() {
        provider = new TestOpenIdProvider();
    }

    @AfterAll
    static void stopProvider() {
        provider.close();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /**
     * Providers: "mock" creates accounts, "invited" only lets in known emails, "devices" has the device flow,
     * "down" cannot be reached.
     */
    private TestServer start() {
        var providers = List.of(
                new ServerConfig.OidcProvider("mock", "Mock IdP", URI.create(provider.issuer(TestOpenIdProvider.DEFAULT)),
                        TestOpenIdProvider.CLIENT_ID, TestOpenIdProvider.CLIENT_SECRET).withAutoProvision(true),
                new ServerConfig.OidcProvider("invited", null, URI.create(provider.issuer(TestOpenIdProvider.DEFAULT)),
                        TestOpenIdProvider.CLIENT_ID, TestOpenIdProvider.CLIENT_SECRET),
                new ServerConfig.OidcProvider("devices", "Devices", URI.create(provider.issuer(TestOpenIdProvider.DEVICES)),
                        TestOpenIdProvider.CLIENT_ID, TestOpenIdProvider.CLIENT_SECRET).withAutoProvision(true),
                new ServerConfig.OidcProvider("down", "Down", URI.create("http://127.0.0.1:1/nowhere"), "x", null));
        server = TestServer.start(dataDir, TestServer.storeOf(storeKind),
                config -> config.withIdentity(config.identity().withOidc(providers)));
        return server;
    }

    private HttpResponse<String> get(String pathOrUrl, String... headers) throws Exception {
        URI uri = pathOrUrl.startsWith("http") ? URI.create(pathOrUrl) : server.uri(pathOrUrl);
        return server.send(HttpRequest.newBuilder(uri).GET(), headers);
    }

    private HttpResponse<String> post(String path, Object body, String... headers) throws Exception {
        return server.send(HttpRequest.newBuilder(server.uri(path))
                .POST(HttpRequest.BodyPublishers.ofString(Json.mapper().writeValueAsString(body)))
                .header("Content-Type", "application/json"), headers);
    }

    private static String[] bearer(String token) {
        return new String[] {"Authorization", "Bearer " + token};
    }

    private static Map<String, String> query(String url) {
        var params = new HashMap<String, String>();
        String raw = URI.create(url).getRawQuery();
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return params;
    }

    private static String location(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(302);
        return response.headers().firstValue("Location").orElseThrow();
    }

    /** Our login redirect, then the provider's answer: the callback URL with code and state. */
    private String throughProvider(String loginPath, String subject, Map<String, Object> claims) throws Exception {
        return location(server.send(TestOpenIdProvider.signIn(location(get(loginPath)), subject, claims)));
    }

    private static String login(String providerId, String returnUrl, boolean webLogin) {
        String path = "/auth/oidc/" + providerId + "/login";
        var params = new java.util.ArrayList<String>();
        if (returnUrl != null) {
            params.add("return_url=" + URLEncoder.encode(returnUrl, StandardCharsets.UTF_8));
        }
        if (webLogin) {
            params.add("web_login=true");
        }
        return params.isEmpty() ? path : path + "?" + String.join("&", params);
    }

    private static Map<String, Object> person(String email) {
        return Map.of("email", email, "email_verified", true, "name", "Person " + email);
    }

    @Test
    void providersListOidcFirstThenBuiltin() throws Exception {
        start();
        JsonNode providers = ok(get("/auth/providers"), 200).get("providers");
        assertThat(providers).hasSize(5);
        assertThat(providers.get(0).get("id").asText()).isEqualTo("mock");
        assertThat(providers.get(0).get("name").asText()).isEqualTo("Mock IdP");
        assertThat(providers.get(0).get("type").asText()).isEqualTo("oidc");
        assertThat(providers.get(0).get("browser_login_enabled").asBoolean()).isTrue();
        assertThat(providers.get(0).get("device_login_enabled").asBoolean()).isFalse();
        assertThat(providers.get(1).get("name").asText()).isEqualTo("invited");
        assertThat(providers.get(2).get("device_login_enabled").asBoolean()).isTrue();
        assertThat(providers.get(4).get("id").asText()).isEqualTo("builtin");
    }

    @Test
    void aBrowserLoginCreatesTheUserOnceAndItsTokensWork() throws Exception {
        start();
        String authorize = location(get(login("mock", null, false)));
        Map<String, String> params = query(authorize);
        assertThat(authorize).startsWith(provider.issuer(TestOpenIdProvider.DEFAULT) + "/authorize");
        assertThat(params).containsEntry("client_id", TestOpenIdProvider.CLIENT_ID)
                .containsEntry("response_type", "code").containsEntry("code_challenge_method", "S256")
                .containsEntry("redirect_uri", server.uri("/auth/oidc/mock/callback").toString())
                .containsKeys("state", "nonce", "code_challenge");
        assertThat(params.get("scope").split(" ")).contains("openid", "email", "profile");

        JsonNode first = ok(get(location(server.send(TestOpenIdProvider.signIn(authorize, "alice-subject",
                person("Alice@Example.com"))))), 200);
        assertThat(first.get("user").get("email").asText()).isEqualTo("alice@example.com");
        assertThat(first.get("user").get("email_verified").asBoolean()).isTrue();
        String access = first.get("access_token").asText();
        assertThat(ok(get("/users/me", bearer(access)), 200).get("name").asText()).isEqualTo("Person Alice@Example.com");
        // A team of their own, as self-registration gives.
        assertThat(ok(get("/teams", bearer(access)), 200).get("teams")).hasSize(1);

        JsonNode again = ok(get(throughProvider(login("mock", null, false), "alice-subject", person("alice@example.com"))),
                200);
        assertThat(again.get("user").get("id").asText()).isEqualTo(first.get("user").get("id").asText());
        JsonNode identities = ok(get("/users/me/identities", bearer(access)), 200).get("identities");
        assertThat(identities).hasSize(1);
        assertThat(identities.get(0).get("provider").asText()).isEqualTo("mock");
        assertThat(identities.get(0).get("created_at").isIntegralNumber()).isTrue();
        assertThat(identities.get(0).get("created_at").asLong()).isBetween(System.currentTimeMillis() / 1000 - 60,
                System.currentTimeMillis() / 1000 + 60);
    }

    @Test
    void aStateWorksOnceForItsOwnProviderAndCannotBeForged() throws Exception {
        start();
        String callback = throughProvider(login("mock", null, false), "bob-subject", person("bob@example.com"));
        ok(get(callback), 200);
        assertError(get(callback), 401, "unauthorized", "invalid OAuth state");

        String code = query(callback).get("code");
        assertError(get("/auth/oidc/mock/callback?code=" + code + "&state=forged"), 401, "unauthorized",
                "invalid OAuth state");
        // A state of one provider does not finish a login at another.
        String other = throughProvider(login("mock", null, false), "bob-subject", person("bob@example.com"));
        assertError(get(other.replace("/auth/oidc/mock/", "/auth/oidc/invited/")), 401, "unauthorized",
                "invalid OAuth state");
        assertError(get("/auth/oidc/mock/callback?state=x"), 400, "bad_request", "missing code or state");
        assertError(get("/auth/oidc/mock/callback?error=access_denied"), 400, "bad_request", "access_denied");
    }

    @Test
    void anIdTokenForAnotherLoginIsRefused() throws Exception {
        start();
        String authorize = location(get(login("mock", null, false)));
        String nonce = query(authorize).get("nonce");
        String callback = location(server.send(TestOpenIdProvider.signIn(
                authorize.replace("nonce=" + nonce, "nonce=someone-elses"), "eve-subject", person("eve@example.com"))));
        assertError(get(callback), 401, "unauthorized", "invalid ID token");
    }

    @Test
    void aCliLoginGetsItsTokensAtItsLoopbackUrl() throws Exception {
        start();
        String back = location(get(throughProvider(login("mock", "http://127.0.0.1:53682/callback?cli=1", false),
                "carol-subject", person("carol@example.com"))));
        assertThat(back).startsWith("http://127.0.0.1:53682/callback?");
        Map<String, String> params = query(back);
        assertThat(params).containsEntry("cli", "1").containsKeys("access_token", "refresh_token", "expires_unix");
        assertThat(ok(get("/users/me", bearer(params.get("access_token"))), 200).get("email").asText())
                .isEqualTo("carol@example.com");

        // Anywhere else gets no redirect (no open redirect with tokens): the tokens come as JSON.
        JsonNode json = ok(get(throughProvider(login("mock", "https://elsewhere.example/steal", false), "carol-subject",
                person("carol@example.com"))), 200);
        assertThat(json.get("access_token").asText()).isNotEmpty();
    }

    @Test
    void aWebLoginHandsOverAOneTimeCode() throws Exception {
        start();
        String returnUrl = "http://localhost:3000/auth/done";
        assertError(get(login("mock", "https://evil.example/done", true)), 400, "bad_request", "invalid return URL");

        String back = location(get(throughProvider(login("mock", returnUrl, true), "dan-subject", person("dan@example.com"))));
        assertThat(back).startsWith(returnUrl + "?");
        Map<String, String> params = query(back);
        assertThat(params).containsKeys("login_code", "expires_unix").doesNotContainKey("access_token");
        var exchange = Map.of("login_code", params.get("login_code"), "return_url", returnUrl);
        JsonNode tokens = ok(post("/auth/web-login/exchange", exchange), 200);
        assertThat(ok(get("/users/me", bearer(tokens.get("access_token").asText())), 200).get("email").asText())
                .isEqualTo("dan@example.com");
        assertError(post("/auth/web-login/exchange", exchange), 401, "unauthorized", "invalid login code");

        String another = query(location(get(throughProvider(login("mock", returnUrl, true), "dan-subject",
                person("dan@example.com"))))).get("login_code");
        assertError(post("/auth/web-login/exchange", Map.of("login_code", another,
                "return_url", "http://localhost:3000/other")), 400, "bad_request", "return_url does not match");
        assertError(post("/auth/web-login/exchange", Map.of("login_code", "made-up", "return_url", returnUrl)), 401,
                "unauthorized", "invalid login code");
        assertError(post("/auth/web-login/exchange", Map.of("login_code", "x", "return_url", "https://evil.example/")),
                400, "bad_request", "invalid return URL");
        assertError(post("/auth/web-login/exchange", Map.of("return_url", returnUrl)), 400, "bad_request",
                "login_code is required");
    }

    @Test
    void aDeviceLoginIsPendingUntilApprovedAndCompletesOnce() throws Exception {
        start();
        JsonNode started = ok(post("/auth/oidc/devices/device/start", Map.of()), 200);
        String id = started.get("device_login_id").asText();
        String userCode = started.get("user_code").asText();
        assertThat(started.get("verification_uri").asText()).startsWith(provider.issuer(TestOpenIdProvider.DEVICES));
        assertThat(started.get("verification_uri_complete").asText()).contains(userCode);
        assertThat(started.get("interval_seconds").asInt()).isEqualTo(1);
        assertThat(started.get("expires_at").asLong()).isGreaterThan(System.currentTimeMillis() / 1000);

        JsonNode pending = ok(post("/auth/oidc/devices/device/poll", Map.of("device_login_id", id)), 200);
        assertThat(pending.get("status").asText()).isEqualTo("pending");
        assertThat(pending.get("interval_seconds").asInt()).isEqualTo(1);
        assertThat(pending.has("login")).isFalse();
        assertError(post("/auth/oidc/mock/device/poll", Map.of("device_login_id", id)), 400, "bad_request",
                "device login does not match provider");

        provider.approve(userCode, "erin-subject", person("erin@example.com"), false);
        JsonNode completed = ok(post("/auth/oidc/devices/device/poll", Map.of("device_login_id", id)), 200);
        assertThat(completed.get("status").asText()).isEqualTo("completed");
        String access = completed.get("login").get("access_token").asText();
        assertThat(ok(get("/users/me", bearer(access)), 200).get("email").asText()).isEqualTo("erin@example.com");
        assertError(post("/auth/oidc/devices/device/poll", Map.of("device_login_id", id)), 401, "unauthorized",
                "device login already completed");

        assertError(post("/auth/oidc/devices/device/poll", Map.of("device_login_id", "unknown")), 404, "not_found",
                "device login not found");
        assertError(post("/auth/oidc/devices/device/poll", Map.of()), 400, "bad_request", "device_login_id is required");
        assertError(post("/auth/oidc/mock/device/start", Map.of()), 404, "not_found",
                "device authorization is not supported");
    }

    @Test
    void aDeclinedOrForeignDeviceLoginIsRefused() throws Exception {
        start();
        JsonNode declined = ok(post("/auth/oidc/devices/device/start", Map.of()), 200);
        provider.deny(declined.get("user_code").asText());
        assertError(post("/auth/oidc/devices/device/poll", Map.of("device_login_id",
                declined.get("device_login_id").asText())), 401, "unauthorized", "declined");

        JsonNode foreign = ok(post("/auth/oidc/devices/device/start", Map.of()), 200);
        provider.approve(foreign.get("user_code").asText(), "mallory", person("mallory@example.com"), true);
        assertError(post("/auth/oidc/devices/device/poll", Map.of("device_login_id",
                foreign.get("device_login_id").asText())), 401, "unauthorized", "invalid ID token");
    }

    @Test
    void knownEmailsAreLinkedAndUnknownOnesRefusedWithoutProvisioning() throws Exception {
        start();
        // "invited" does not create accounts.
        assertError(get(throughProvider(login("invited", null, false), "stranger", person("stranger@example.com"))), 403,
                "forbidden", "no account for stranger@example.com");

        // The first admin, made before any OIDC login, binds their provider account by email.
        JsonNode admin = ok(get(throughProvider(login("invited", null, false), "admin-subject",
                person("admin@localhost"))), 200);
        assertThat(admin.get("user").get("is_admin").asBoolean()).isTrue();

        // A provider that says it has not verified the email does not get an account linked.
        server.createUser("frank@example.com", "frank-password");
        assertError(get(throughProvider(login("invited", null, false), "frank-subject",
                Map.of("email", "frank@example.com", "email_verified", false))), 403, "forbidden", "not verified");
    }

    @Test
    void identitiesAreListedAndRemovedButNotTheLastWayIn() throws Exception {
        start();
        JsonNode grace = ok(get(throughProvider(login("mock", null, false), "grace-mock", person("grace@example.com"))),
                200);
        String access = grace.get("access_token").asText();
        String only = ok(get("/users/me/identities", bearer(access)), 200).get("identities").get(0).get("id").asText();
        assertError(server.json("DELETE", "/users/me/identities/" + only, null, access), 400, "bad_request",
                "cannot remove last authentication method");

        // A second provider account with the same email is linked to the same user.
        ok(get(throughProvider(login("invited", null, false), "grace-invited", person("grace@example.com"))), 200);
        JsonNode both = ok(get("/users/me/identities", bearer(access)), 200).get("identities");
        assertThat(both).hasSize(2);
        assertThat(ok(server.json("DELETE", "/users/me/identities/" + only, null, access), 200).get("message").asText())
                .isEqualTo("identity removed");
        assertError(server.json("DELETE", "/users/me/identities/" + only, null, access), 404, "not_found",
                "identity not found");

        // Someone else's identity is as absent as a missing one.
        String henry = ok(get(throughProvider(login("mock", null, false), "henry-mock", person("henry@example.com"))), 200)
                .get("access_token").asText();
        String henrys = ok(get("/users/me/identities", bearer(henry)), 200).get("identities").get(0).get("id").asText();
        assertError(server.json("DELETE", "/users/me/identities/" + henrys, null, access), 404, "not_found",
                "identity not found");

        // A user with a password may remove their only identity.
        server.createUser("ivy@example.com", "ivy-password");
        String ivy = ok(get(throughProvider(login("invited", null, false), "ivy-invited", person("ivy@example.com"))), 200)
                .get("access_token").asText();
        String ivys = ok(get("/users/me/identities", bearer(ivy)), 200).get("identities").get(0).get("id").asText();
        ok(server.json("DELETE", "/users/me/identities/" + ivys, null, ivy), 200);
        assertThat(ok(get("/users/me/identities", bearer(ivy)), 200).get("identities")).isEmpty();
        assertThat(get("/users/me/identities").statusCode()).isEqualTo(401);
    }

    @Test
    void unknownAndUnreachableProvidersAnswerClearly() throws Exception {
        start();
        assertError(get("/auth/oidc/nope/login"), 404, "not_found", "OIDC provider not found");
        assertError(get("/auth/oidc/nope/callback?code=a&state=b"), 404, "not_found", "OIDC provider not found");
        assertError(post("/auth/oidc/nope/device/start", Map.of()), 404, "not_found", "OIDC provider not found");
        assertError(post("/auth/oidc/nope/device/poll", Map.of("device_login_id", "x")), 404, "not_found",
                "OIDC provider not found");
        // The server started although this provider is down; its routes say so.
        assertError(get("/auth/oidc/down/login"), 503, "unavailable", "OIDC provider 'down' is unavailable");
        assertError(post("/auth/oidc/down/device/start", Map.of()), 503, "unavailable", "is unavailable");
    }
}
