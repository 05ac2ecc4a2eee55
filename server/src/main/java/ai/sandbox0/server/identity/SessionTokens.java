package ai.sandbox0.server.identity;

import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.auth.Role;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Signs and verifies the JWTs of user sessions, with the claims upstream's tokens carry ({@code user_id},
 * {@code team_grants}, {@code is_admin}, {@code token_type}). HS256 with the installation's own 256-bit
 * key: the server is both issuer and verifier, and an HMAC check costs microseconds on every request.
 */
public final class SessionTokens {

    /** A signed access and refresh token of one session. */
    public record Pair(String accessToken, Instant accessExpiresAt, String refreshToken, Instant refreshExpiresAt) {

        @Override
        public String toString() {
            return "Pair[<redacted>, " + accessExpiresAt + "]";
        }
    }

    /** A verified refresh token: whose, and which session. */
    public record Refresh(String userId, String sessionId) {
    }

    private static final String ACCESS = "access";
    private static final String REFRESH = "refresh";
    /** Clocks of a client and ours may disagree a little about "not before". */
    private static final Duration SKEW = Duration.ofSeconds(30);

    private final MACSigner signer;
    private final JWSVerifier verifier;
    private final String issuer;
    private final Duration accessTtl;
    private final Duration refreshTtl;
    private final Clock clock;
    private final SecureRandom random;

    public SessionTokens(byte[] key, String issuer, Duration accessTtl, Duration refreshTtl, Clock clock,
            SecureRandom random) {
        try {
            this.signer = new MACSigner(key);
            this.verifier = new MACVerifier(key);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("the session signing key must be at least 256 bits", e);
        }
        this.issuer = issuer;
        this.accessTtl = accessTtl;
        this.refreshTtl = refreshTtl;
        this.clock = clock;
        this.random = random;
    }

    public Duration refreshTtl() {
        return refreshTtl;
    }

    public Pair issue(String sessionId, UserAccount user, List<TeamGrant> grants) {
        Instant now = clock.instant();
        Instant accessExpiry = now.plus(accessTtl);
        Instant refreshExpiry = now.plus(refreshTtl);
        List<Map<String, Object>> grantClaims = new ArrayList<>();
        for (TeamGrant grant : grants) {
            var claim = new HashMap<String, Object>();
            claim.put("team_id", grant.teamId());
            claim.put("team_role", grant.role().wire());
            if (grant.homeRegionId() != null) {
                claim.put("home_region_id", grant.homeRegionId());
            }
            grantClaims.add(claim);
        }
        JWTClaimsSet access = base(user.id(), sessionId, now, accessExpiry)
                .claim("email", user.email())
                .claim("name", user.name())
                .claim("team_grants", grantClaims)
                .claim("is_admin", user.systemAdmin())
                .claim("token_type", ACCESS)
                .build();
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        // The nonce makes every refresh token distinct, even two issued in the same second.
        JWTClaimsSet refresh = base(user.id(), sessionId, now, refreshExpiry)
                .claim("token_type", REFRESH)
                .claim("nonce", Base64.getUrlEncoder().withoutPadding().encodeToString(nonce))
                .build();
        return new Pair(sign(access), accessExpiry, sign(refresh), refreshExpiry);
    }

    private JWTClaimsSet.Builder base(String userId, String sessionId, Instant now, Instant expiry) {
        return new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(userId)
                .jwtID(sessionId)
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(expiry))
                .claim("user_id", userId);
    }

    private String sign(JWTClaimsSet claims) {
        var jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a session token", e);
        }
        return jwt.serialize();
    }

    /** The claims of a valid access token, or an {@link AuthenticationFailure} saying why not. */
    public AccessClaims verifyAccess(String token) {
        JWTClaimsSet claims = verified(token, ACCESS);
        try {
            List<TeamGrant> grants = new ArrayList<>();
            List<Object> raw = claims.getListClaim("team_grants");
            if (raw != null) {
                for (Object entry : raw) {
                    if (entry instanceof Map<?, ?> map && map.get("team_id") instanceof String team
                            && map.get("team_role") instanceof String role) {
                        Optional<Role> parsed = Role.fromWire(role);
                        Object region = map.get("home_region_id");
                        parsed.ifPresent(r -> grants.add(new TeamGrant(team, r, region instanceof String s ? s : null)));
                    }
                }
            }
            Boolean admin = claims.getBooleanClaim("is_admin");
            return new AccessClaims(claims.getStringClaim("user_id"), claims.getStringClaim("email"),
                    claims.getStringClaim("name"), admin != null && admin, grants, claims.getJWTID(),
                    claims.getExpirationTime().toInstant());
        } catch (ParseException e) {
            throw new AuthenticationFailure("invalid token");
        }
    }

    /** The user and session of a valid refresh token; its digest must still be the session's. */
    public Refresh verifyRefresh(String token) {
        JWTClaimsSet claims = verified(token, REFRESH);
        try {
            return new Refresh(claims.getStringClaim("user_id"), claims.getJWTID());
        } catch (ParseException e) {
            throw new AuthenticationFailure("invalid refresh token");
        }
    }

    private JWTClaimsSet verified(String token, String type) {
        String invalid = type.equals(ACCESS) ? "invalid token" : "invalid refresh token";
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
                throw new AuthenticationFailure("invalid signing method");
            }
            if (!jwt.verify(verifier)) {
                throw new AuthenticationFailure(invalid);
            }
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            Instant now = clock.instant();
            Date expiry = claims.getExpirationTime();
            if (expiry == null || !now.isBefore(expiry.toInstant())) {
                throw new AuthenticationFailure(type.equals(ACCESS) ? "token expired" : invalid);
            }
            Date notBefore = claims.getNotBeforeTime();
            if (notBefore != null && now.plus(SKEW).isBefore(notBefore.toInstant())) {
                throw new AuthenticationFailure(invalid);
            }
            if (!issuer.equals(claims.getIssuer()) || !type.equals(claims.getStringClaim("token_type"))
                    || claims.getStringClaim("user_id") == null || claims.getJWTID() == null) {
                throw new AuthenticationFailure(invalid);
            }
            return claims;
        } catch (ParseException | JOSEException | IllegalStateException e) {
            throw new AuthenticationFailure(invalid);
        }
    }
}
