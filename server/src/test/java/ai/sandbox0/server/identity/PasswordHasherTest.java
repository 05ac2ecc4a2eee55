package ai.sandbox0.server.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class PasswordHasherTest {

    private final PasswordHasher hasher = PasswordHasher.owaspDefaults(new SecureRandom());

    @Test
    void hashesAreSaltedArgon2idPhcStringsThatVerify() {
        String hash = hasher.hash("correct horse battery staple");
        assertThat(hash).startsWith("$argon2id$v=19$m=19456,t=2,p=1$").doesNotContain("correct");
        assertThat(hasher.hash("correct horse battery staple")).isNotEqualTo(hash);
        assertThat(hasher.matches("correct horse battery staple", hash)).isTrue();
        assertThat(hasher.matches("correct horse battery stapler", hash)).isFalse();
        assertThat(hasher.matches("", hash)).isFalse();
    }

    @Test
    void storedHashesKeepTheirOwnParameters() {
        String cheap = new PasswordHasher(1024, 1, 1, new SecureRandom()).hash("pässwörd-ü");
        assertThat(cheap).startsWith("$argon2id$v=19$m=1024,t=1,p=1$");
        assertThat(hasher.matches("pässwörd-ü", cheap)).isTrue();
    }

    @Test
    void missingOrUnreadableHashesNeverMatch() {
        assertThat(hasher.matches("anything", null)).isFalse();
        assertThat(hasher.matches("anything", "")).isFalse();
        assertThat(hasher.matches("anything", "$2a$10$abcdefghijklmnopqrstuv")).isFalse();
        assertThat(hasher.matches("anything", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA")).isFalse();
    }
}
