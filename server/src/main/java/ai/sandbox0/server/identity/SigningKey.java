package ai.sandbox0.server.identity;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * The installation's session signing key: 256 random bits made at first start and kept in the store, so
 * every server on one store (and every restart) verifies the same tokens. Whoever can read the store can
 * mint sessions; the store's credentials are guarded as the key would be.
 */
public final class SigningKey {

    private static final String NAME = "session_signing_key";

    private SigningKey() {
    }

    public static byte[] loadOrCreate(Jdbi jdbi, SecureRandom random) {
        return jdbi.inTransaction(h -> {
            Optional<String> stored = h.createQuery("SELECT value FROM installation WHERE name = :name")
                    .bind("name", NAME).mapTo(String.class).findOne();
            if (stored.isPresent()) {
                return Base64.getDecoder().decode(stored.get());
            }
            byte[] key = new byte[32];
            random.nextBytes(key);
            h.createUpdate("INSERT INTO installation (name, value) VALUES (:name, :value)")
                    .bind("name", NAME).bind("value", Base64.getEncoder().encodeToString(key)).execute();
            return key;
        });
    }
}
