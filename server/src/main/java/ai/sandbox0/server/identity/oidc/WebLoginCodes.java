package ai.sandbox0.server.identity.oidc;

import ai.sandbox0.server.auth.TokenDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.jdbi.v3.core.Jdbi;

/**
 * One-time codes that hand a browser login over to a web app: the code travels in the return URL's
 * query, so it lives briefly, works once and only for the return URL it was made for. The store keeps
 * its digest.
 */
public final class WebLoginCodes {

    /** Upstream's lifetime. */
    static final Duration TTL = Duration.ofMinutes(2);

    /** A new code and when it stops working. */
    public record Issued(String code, Instant expiresAt) {

        @Override
        public String toString() {
            return "Issued[code=<redacted>, expiresAt=" + expiresAt + "]";
        }
    }

    /** What an exchange found. */
    public sealed interface Exchange {
        record Redeemed(String userId) implements Exchange {
        }

        /** Unknown, expired or already used. */
        record Invalid() implements Exchange {
        }

        /** Made for another return URL; the code is spent anyway. */
        record WrongReturnUrl() implements Exchange {
        }
    }

    private final Jdbi jdbi;
    private final Clock clock;
    private final SecureRandom random;

    public WebLoginCodes(Jdbi jdbi, Clock clock, SecureRandom random) {
        this.jdbi = jdbi;
        this.clock = clock;
        this.random = random;
    }

    public Issued issue(String userId, String returnUrl) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String code = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Instant now = clock.instant();
        Instant expires = now.plus(TTL);
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO web_login_codes (code_digest, user_id, return_url, expires_at,"
                        + " created_at) VALUES (:digest, :user, :url, :expires, :now)")
                .bind("digest", TokenDigest.of(code)).bind("user", userId).bind("url", returnUrl)
                .bind("expires", expires.toEpochMilli()).bind("now", now.toEpochMilli()).execute());
        return new Issued(code, expires);
    }

    /** Spends the code: whatever the outcome, it does not work again. */
    public Exchange exchange(String code, String returnUrl) {
        long now = clock.millis();
        return jdbi.inTransaction(h -> {
            var row = h.createQuery("SELECT user_id, return_url FROM web_login_codes WHERE code_digest = :digest"
                            + " AND consumed_at IS NULL AND expires_at > :now")
                    .bind("digest", TokenDigest.of(code)).bind("now", now)
                    .map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2)}).findOne();
            if (row.isEmpty()) {
                return new Exchange.Invalid();
            }
            int spent = h.createUpdate("UPDATE web_login_codes SET consumed_at = :now WHERE code_digest = :digest"
                            + " AND consumed_at IS NULL")
                    .bind("digest", TokenDigest.of(code)).bind("now", now).execute();
            if (spent != 1) {
                return new Exchange.Invalid();
            }
            return row.get()[1].equals(returnUrl) ? new Exchange.Redeemed(row.get()[0]) : new Exchange.WrongReturnUrl();
        });
    }

    /** Drops codes that expired more than a day ago. */
    public int purgeEnded(Instant now) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM web_login_codes WHERE expires_at < :cutoff")
                .bind("cutoff", now.minusSeconds(86_400).toEpochMilli()).execute());
    }
}
