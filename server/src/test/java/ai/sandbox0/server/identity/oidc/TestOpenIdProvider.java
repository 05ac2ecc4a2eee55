package ai.sandbox0.server.identity.oidc;

import ai.sandbox0.api.Json;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.http.OAuth2HttpRequest;
import no.nav.security.mock.oauth2.http.OAuth2HttpResponse;
import no.nav.security.mock.oauth2.http.Route;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import okhttp3.Headers;

/**
 * A real OpenID provider on a loopback port: mock-oauth2-server (discovery, JWKS, the authorization code
 * flow with PKCE, signed ID tokens), each path prefix an issuer. It has no device flow (RFC 8628), so the
 * issuer {@value #DEVICES} gets one here: its own discovery document naming a device authorization
 * endpoint, and the device code grant at its token endpoint, with ID tokens signed by the mock's keys for
 * that issuer. That issuer also only takes client_secret_post, the other the mock's default basic.
 */
final class TestOpenIdProvider implements AutoCloseable {

    static final String DEFAULT = "default";
    static final String DEVICES = "devices";
    static final String CLIENT_ID = "sandbox0";
    static final String CLIENT_SECRET = "client-secret-for-tests";
    private static final String DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

    /** A device login at the provider: pending until the test approves or denies it. */
    private static final class Device {
        volatile String outcome = "pending";
        volatile Map<String, Object> claims;
        volatile String subject;
        volatile boolean wrongIssuer;
    }

    private final Map<String, Device> devices = new ConcurrentHashMap<>();
    private final MockOAuth2Server mock;

    TestOpenIdProvider() {
        mock = new MockOAuth2Server(new DeviceFlow());
        mock.start();
    }

    String issuer(String issuerId) {
        return mock.issuerUrl(issuerId).toString();
    }

    /**
     * The login form a user submits at the authorization endpoint ({@code authorizeUrl}, what our server
     * redirected to): the provider then redirects to the callback with a code for {@code subject} and
     * {@code claims}.
     */
    static java.net.http.HttpRequest.Builder signIn(String authorizeUrl, String subject, Map<String, Object> claims) {
        try {
            String form = "username=" + java.net.URLEncoder.encode(subject, java.nio.charset.StandardCharsets.UTF_8)
                    + "&claims=" + java.net.URLEncoder.encode(Json.mapper().writeValueAsString(claims),
                            java.nio.charset.StandardCharsets.UTF_8);
            return java.net.http.HttpRequest.newBuilder(java.net.URI.create(authorizeUrl))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(form));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The user approves the device login of {@code userCode}. */
    void approve(String userCode, String subject, Map<String, Object> claims, boolean wrongIssuer) {
        Device device = byUserCode(userCode);
        device.subject = subject;
        device.claims = claims;
        device.wrongIssuer = wrongIssuer;
        device.outcome = "approved";
    }

    void deny(String userCode) {
        byUserCode(userCode).outcome = "denied";
    }

    private Device byUserCode(String userCode) {
        Device device = devices.get(userCode);
        if (device == null) {
            throw new IllegalStateException("no device login with user code " + userCode);
        }
        return device;
    }

    @Override
    public void close() {
        mock.shutdown();
    }

    /** The device flow of issuer {@value #DEVICES}. Device codes are keyed by user code, which is the same. */
    private final class DeviceFlow implements Route {

        @Override
        public boolean match(OAuth2HttpRequest request) {
            String path = request.getUrl().encodedPath();
            return switch (request.getMethod()) {
                case "GET" -> path.equals("/" + DEVICES + "/.well-known/openid-configuration");
                case "POST" -> path.equals("/" + DEVICES + "/device/authorize")
                        || path.equals("/" + DEVICES + "/token")
                                && DEVICE_GRANT.equals(request.getFormParameters().get("grant_type"));
                default -> false;
            };
        }

        @Override
        public OAuth2HttpResponse invoke(OAuth2HttpRequest request) {
            String path = request.getUrl().encodedPath();
            if (path.endsWith("/.well-known/openid-configuration")) {
                var doc = new LinkedHashMap<String, Object>();
                doc.put("issuer", issuer(DEVICES));
                doc.put("authorization_endpoint", mock.authorizationEndpointUrl(DEVICES).toString());
                doc.put("token_endpoint", mock.tokenEndpointUrl(DEVICES).toString());
                doc.put("jwks_uri", mock.jwksUrl(DEVICES).toString());
                doc.put("device_authorization_endpoint", issuer(DEVICES) + "/device/authorize");
                doc.put("response_types_supported", List.of("code"));
                doc.put("subject_types_supported", List.of("public"));
                doc.put("id_token_signing_alg_values_supported", List.of("RS256"));
                doc.put("token_endpoint_auth_methods_supported", List.of("client_secret_post"));
                return json(200, doc);
            }
            var form = request.getFormParameters();
            if (!CLIENT_ID.equals(form.get("client_id")) || !CLIENT_SECRET.equals(form.get("client_secret"))) {
                return json(401, Map.of("error", "invalid_client"));
            }
            if (path.endsWith("/device/authorize")) {
                String code = UUID.randomUUID().toString().substring(0, 8).toUpperCase();
                devices.put(code, new Device());
                return json(200, Map.of("device_code", code, "user_code", code,
                        "verification_uri", issuer(DEVICES) + "/device",
                        "verification_uri_complete", issuer(DEVICES) + "/device?user_code=" + code,
                        "expires_in", 600, "interval", 1));
            }
            Device device = devices.get(String.valueOf(form.get("device_code")));
            if (device == null) {
                return json(400, Map.of("error", "invalid_grant"));
            }
            return switch (device.outcome) {
                case "pending" -> json(400, Map.of("error", "authorization_pending"));
                case "denied" -> json(400, Map.of("error", "access_denied"));
                case "used" -> json(400, Map.of("error", "invalid_grant"));
                default -> {
                    device.outcome = "used";
                    yield json(200, Map.of("access_token", "provider-access-token", "token_type", "Bearer",
                            "expires_in", 3600, "id_token", idToken(device)));
                }
            };
        }

        private String idToken(Device device) {
            if (device.wrongIssuer) {
                // Signed with this issuer's key, but naming another issuer.
                var claims = new LinkedHashMap<String, Object>(device.claims);
                claims.put("iss", "http://issuer.invalid/");
                claims.put("sub", device.subject);
                claims.put("aud", CLIENT_ID);
                return mock.getConfig().getTokenProvider().jwt(claims, Duration.ofHours(1), DEVICES).serialize();
            }
            return mock.issueToken(DEVICES, CLIENT_ID, new DefaultOAuth2TokenCallback(DEVICES, device.subject, "JWT",
                    List.of(CLIENT_ID), device.claims, 3600)).serialize();
        }

        private OAuth2HttpResponse json(int status, Object body) {
            try {
                return new OAuth2HttpResponse(Headers.of("Content-Type", "application/json"), status,
                        Json.mapper().writeValueAsString(body), null);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
