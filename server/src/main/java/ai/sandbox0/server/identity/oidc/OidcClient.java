package ai.sandbox0.server.identity.oidc;

import ai.sandbox0.server.ServerConfig;
import ai.sandbox0.server.http.ApiException;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWT;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.AuthorizationGrant;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.GeneralException;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.ClientSecretPost;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationRequest;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationResponse;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationSuccessResponse;
import com.nimbusds.oauth2.sdk.device.DeviceCode;
import com.nimbusds.oauth2.sdk.device.DeviceCodeGrant;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One configured OpenID provider as a client of it: discovery, the authorization code flow with PKCE,
 * the device flow and ID token validation (signature by the provider's published keys, issuer, audience,
 * expiry, nonce). Discovery happens on first need and is retried after a failure, so a provider that is
 * down does not keep the server from starting: its routes answer 503 until it is reachable.
 */
public final class OidcClient {

    private static final Logger LOG = LoggerFactory.getLogger(OidcClient.class);
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final int READ_TIMEOUT_MS = 10_000;
    private static final Duration RETRY_DISCOVERY_AFTER = Duration.ofSeconds(15);
    /** RFC 8628's default polling interval. */
    static final int DEFAULT_INTERVAL_SECONDS = 5;

    /** What discovery found; immutable once made. */
    private record Discovered(OIDCProviderMetadata metadata, IDTokenValidator validator, URI deviceEndpoint,
            ClientAuthenticationMethod clientAuth) {
    }

    /** Why discovery last failed, and when. */
    private record Failure(String reason, long atNanos) {
    }

    /** A started device authorization. */
    public record DeviceStart(String deviceCode, String userCode, URI verificationUri, URI verificationUriComplete,
            long lifetimeSeconds, int intervalSeconds) {

        @Override
        public String toString() {
            return "DeviceStart[userCode=" + userCode + ", verificationUri=" + verificationUri + "]";
        }
    }

    /** One poll of the provider's token endpoint with a device code. */
    public sealed interface DevicePoll {
        record Pending() implements DevicePoll {
        }

        record SlowDown() implements DevicePoll {
        }

        record Completed(ExternalIdentity identity) implements DevicePoll {
        }

        /** Declined, expired or refused: the login is over. */
        record Ended(String reason) implements DevicePoll {
        }
    }

    private final ServerConfig.OidcProvider settings;
    private final Supplier<URI> publicUrl;
    private volatile Discovered discovered;
    private Failure failure;

    public OidcClient(ServerConfig.OidcProvider settings, Supplier<URI> publicUrl) {
        this.settings = settings;
        this.publicUrl = publicUrl;
    }

    public String id() {
        return settings.id();
    }

    public String name() {
        return settings.name();
    }

    public ServerConfig.OidcProvider settings() {
        return settings;
    }

    /** Where the provider sends the browser back: this server's callback route for the provider. */
    public URI redirectUri() {
        String base = publicUrl.get().toString().replaceAll("/+$", "");
        return URI.create(base + "/auth/oidc/" + settings.id() + "/callback");
    }

    /** Discovers the provider now (at start), logging the outcome rather than failing. */
    public void discoverQuietly() {
        try {
            Discovered found = discovered();
            LOG.info("OIDC provider {}: issuer {} (device login {})", settings.id(), found.metadata().getIssuer(),
                    found.deviceEndpoint() == null ? "not offered" : "offered");
        } catch (ApiException e) {
            // discovered() has logged why; the provider's routes answer 503 until it is reachable.
        }
    }

    /** Whether the provider offers the device flow; false while it cannot be reached. */
    public boolean deviceLoginEnabled() {
        try {
            return discovered().deviceEndpoint() != null;
        } catch (ApiException e) {
            return false;
        }
    }

    /** The authorization endpoint URL a browser is sent to. */
    public URI authorizationUrl(String state, String nonce, String codeVerifier) {
        Discovered found = discovered();
        return new AuthenticationRequest.Builder(ResponseType.CODE, new Scope(settings.scopes().toArray(String[]::new)),
                new ClientID(settings.clientId()), redirectUri())
                .endpointURI(found.metadata().getAuthorizationEndpointURI())
                .state(new State(state))
                .nonce(new Nonce(nonce))
                .codeChallenge(new CodeVerifier(codeVerifier), CodeChallengeMethod.S256)
                .build()
                .toURI();
    }

    /** Redeems an authorization code and validates the ID token it brings, with the login's nonce. */
    public ExternalIdentity exchangeCode(String code, String codeVerifier, String nonce) {
        Discovered found = discovered();
        var grant = new AuthorizationCodeGrant(new AuthorizationCode(code), redirectUri(), new CodeVerifier(codeVerifier));
        TokenResponse response = parseTokens(send(tokenRequest(found, grant).toHTTPRequest(), "token"));
        if (!response.indicatesSuccess()) {
            ErrorObject error = response.toErrorResponse().getErrorObject();
            throw ApiException.unauthorized("OIDC provider '" + settings.id() + "' refused the authorization code ("
                    + errorCode(error) + "): start the login again");
        }
        return identityOf(found, response, new Nonce(nonce));
    }

    /** Starts a device authorization; 404 when the provider offers none. */
    public DeviceStart startDevice() {
        Discovered found = discovered();
        if (found.deviceEndpoint() == null) {
            throw ApiException.notFound("device authorization is not supported by this provider");
        }
        Scope scope = new Scope(settings.scopes().toArray(String[]::new));
        ClientAuthentication auth = clientAuthentication(found);
        var request = auth == null
                ? new DeviceAuthorizationRequest.Builder(new ClientID(settings.clientId())).endpointURI(found.deviceEndpoint())
                        .scope(scope).build()
                : new DeviceAuthorizationRequest.Builder(auth).endpointURI(found.deviceEndpoint()).scope(scope).build();
        DeviceAuthorizationResponse response;
        try {
            response = DeviceAuthorizationResponse.parse(send(request.toHTTPRequest(), "device authorization"));
        } catch (ParseException e) {
            throw ApiException.badRequest("OIDC provider '" + settings.id() + "' sent an unreadable device"
                    + " authorization response");
        }
        if (!response.indicatesSuccess()) {
            throw ApiException.badRequest("OIDC provider '" + settings.id() + "' refused to start a device login ("
                    + errorCode(response.toErrorResponse().getErrorObject()) + ")");
        }
        DeviceAuthorizationSuccessResponse ok = response.toSuccessResponse();
        long interval = ok.getInterval();
        return new DeviceStart(ok.getDeviceCode().getValue(), ok.getUserCode().getValue(), ok.getVerificationURI(),
                ok.getVerificationURIComplete(), ok.getLifetime(),
                interval > 0 ? (int) Math.min(interval, 300) : DEFAULT_INTERVAL_SECONDS);
    }

    /** Asks the token endpoint whether the user has approved the device login yet. */
    public DevicePoll pollDevice(String deviceCode) {
        Discovered found = discovered();
        TokenResponse response = parseTokens(send(tokenRequest(found, new DeviceCodeGrant(new DeviceCode(deviceCode)))
                .toHTTPRequest(), "token"));
        if (response.indicatesSuccess()) {
            return new DevicePoll.Completed(identityOf(found, response, null));
        }
        String code = errorCode(response.toErrorResponse().getErrorObject());
        return switch (code) {
            case "authorization_pending" -> new DevicePoll.Pending();
            case "slow_down" -> new DevicePoll.SlowDown();
            case "access_denied" -> new DevicePoll.Ended("device authorization declined");
            case "expired_token" -> new DevicePoll.Ended("device authorization expired: start the login again");
            default -> new DevicePoll.Ended("OIDC provider '" + settings.id() + "' refused the device login (" + code
                    + ")");
        };
    }

    private ExternalIdentity identityOf(Discovered found, TokenResponse response, Nonce nonce) {
        JWT idToken = response instanceof OIDCTokenResponse oidc ? oidc.getOIDCTokens().getIDToken() : null;
        if (idToken == null) {
            throw ApiException.unauthorized("OIDC provider '" + settings.id() + "' returned no ID token: the client"
                    + " must be allowed the openid scope");
        }
        IDTokenClaimsSet claims;
        try {
            claims = found.validator().validate(idToken, nonce);
        } catch (BadJWSException e) {
            throw ApiException.unauthorized("invalid ID token from OIDC provider '" + settings.id()
                    + "': its signature does not verify with the provider's keys");
        } catch (BadJOSEException e) {
            throw ApiException.unauthorized("invalid ID token from OIDC provider '" + settings.id() + "': "
                    + reason(e.getMessage()));
        } catch (JOSEException e) {
            throw ApiException.unavailable("cannot read the signing keys of OIDC provider '" + settings.id()
                    + "': try again later");
        }
        Object verified = claims.getClaim("email_verified");
        Boolean emailVerified = verified instanceof Boolean b ? b
                : verified instanceof String s ? Boolean.valueOf(s.equalsIgnoreCase("true")) : null;
        return new ExternalIdentity(settings.id(), claims.getSubject().getValue(), stringClaim(claims, "email"),
                emailVerified, stringClaim(claims, "name"), stringClaim(claims, "picture"));
    }

    private static String stringClaim(IDTokenClaimsSet claims, String name) {
        return claims.getClaim(name) instanceof String value && !value.isBlank() ? value.strip() : null;
    }

    /** Nimbus's rejection, without the claim values it may quote ("Unexpected JWT nonce (nonce) claim: …"). */
    private static String reason(String message) {
        if (message == null || message.isBlank()) {
            return "rejected";
        }
        int colon = message.indexOf(':');
        return (colon > 0 ? message.substring(0, colon) : message).strip();
    }

    /** The OAuth error code if it is a plain token (what providers send), else a generic word. */
    private static String errorCode(ErrorObject error) {
        String code = error == null ? null : error.getCode();
        return code != null && code.matches("[A-Za-z0-9_.-]{1,64}") ? code : "error";
    }

    private TokenRequest tokenRequest(Discovered found, AuthorizationGrant grant) {
        URI endpoint = found.metadata().getTokenEndpointURI();
        ClientAuthentication auth = clientAuthentication(found);
        return auth == null ? new TokenRequest.Builder(endpoint, new ClientID(settings.clientId()), grant).build()
                : new TokenRequest.Builder(endpoint, auth, grant).build();
    }

    /** The client secret as the provider wants it (basic unless it only takes post); null for a public client. */
    private ClientAuthentication clientAuthentication(Discovered found) {
        if (settings.clientSecret() == null || settings.clientSecret().isEmpty()) {
            return null;
        }
        var id = new ClientID(settings.clientId());
        var secret = new Secret(settings.clientSecret());
        return ClientAuthenticationMethod.CLIENT_SECRET_POST.equals(found.clientAuth())
                ? new ClientSecretPost(id, secret) : new ClientSecretBasic(id, secret);
    }

    private TokenResponse parseTokens(HTTPResponse response) {
        try {
            return OIDCTokenResponseParser.parse(response);
        } catch (ParseException e) {
            throw ApiException.unauthorized("OIDC provider '" + settings.id() + "' sent an unreadable token response");
        }
    }

    private HTTPResponse send(HTTPRequest request, String what) {
        request.setConnectTimeout(CONNECT_TIMEOUT_MS);
        request.setReadTimeout(READ_TIMEOUT_MS);
        try {
            return request.send();
        } catch (IOException e) {
            throw ApiException.unavailable("cannot reach the " + what + " endpoint of OIDC provider '" + settings.id()
                    + "': try again later");
        }
    }

    /** The discovered provider, discovering it now if needed; 503 while it cannot be. */
    private Discovered discovered() {
        Discovered found = discovered;
        if (found != null) {
            return found;
        }
        synchronized (this) {
            if (discovered != null) {
                return discovered;
            }
            if (failure != null && System.nanoTime() - failure.atNanos() < RETRY_DISCOVERY_AFTER.toNanos()) {
                throw unavailable(failure.reason());
            }
            try {
                discovered = discover();
                failure = null;
                return discovered;
            } catch (GeneralException | IOException | RuntimeException e) {
                String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                failure = new Failure(reason, System.nanoTime());
                LOG.warn("OIDC provider {}: discovery from {} failed: {}", settings.id(), settings.issuer(), reason);
                throw unavailable(reason);
            }
        }
    }

    private ApiException unavailable(String reason) {
        return ApiException.unavailable("OIDC provider '" + settings.id() + "' is unavailable: its discovery document"
                + " at " + settings.issuer() + " could not be read (" + reason + "); try again later");
    }

    private Discovered discover() throws GeneralException, IOException {
        OIDCProviderMetadata metadata = OIDCProviderMetadata.resolve(new Issuer(settings.issuer()), CONNECT_TIMEOUT_MS,
                READ_TIMEOUT_MS);
        if (metadata.getAuthorizationEndpointURI() == null || metadata.getTokenEndpointURI() == null
                || metadata.getJWKSetURI() == null) {
            throw new GeneralException("the discovery document lacks an authorization, token or JWKS endpoint");
        }
        Set<JWSAlgorithm> algorithms = new HashSet<>();
        List<JWSAlgorithm> advertised = metadata.getIDTokenJWSAlgs();
        if (advertised != null) {
            // Only public-key signatures: an HMAC would make the client secret a signing key.
            advertised.stream().filter(JWSAlgorithm.Family.SIGNATURE::contains).forEach(algorithms::add);
        }
        if (algorithms.isEmpty()) {
            algorithms.add(JWSAlgorithm.RS256);
        }
        JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(metadata.getJWKSetURI().toURL(),
                new DefaultResourceRetriever(CONNECT_TIMEOUT_MS, READ_TIMEOUT_MS, 512 * 1024)).build();
        var validator = new IDTokenValidator(metadata.getIssuer(), new ClientID(settings.clientId()),
                new JWSVerificationKeySelector<>(algorithms, keys), null);
        URI device = settings.deviceAuthorizationEndpoint() != null ? settings.deviceAuthorizationEndpoint()
                : metadata.getDeviceAuthorizationEndpointURI();
        List<ClientAuthenticationMethod> methods = metadata.getTokenEndpointAuthMethods();
        ClientAuthenticationMethod clientAuth = methods == null || methods.isEmpty()
                || methods.contains(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
                || !methods.contains(ClientAuthenticationMethod.CLIENT_SECRET_POST)
                ? ClientAuthenticationMethod.CLIENT_SECRET_BASIC : ClientAuthenticationMethod.CLIENT_SECRET_POST;
        return new Discovered(metadata, validator, device, clientAuth);
    }
}
