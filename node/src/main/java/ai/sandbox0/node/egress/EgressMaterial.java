package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.PlaceholderSubstitutionLocation;
import java.security.KeyPair;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A credential binding's projection, rendered: what the proxy writes into a request (or presents on a
 * connection) for the sandbox, which itself never holds it. The {@code toString} of every kind names what is
 * there, never a value.
 */
public sealed interface EgressMaterial {

    /** Until when the proxy may reuse it without asking again. */
    Instant expiresAt();

    /** {@code http_headers}: each header set to its value, replacing what the client sent. */
    record Headers(Map<String, String> headers, Instant expiresAt) implements EgressMaterial {

        public Headers {
            headers = Map.copyOf(headers);
        }

        @Override
        public String toString() {
            return "Headers" + headers.keySet();
        }
    }

    /** {@code placeholder_substitution}: each literal placeholder replaced by its value where listed. */
    record Placeholders(List<Replacement> replacements, Instant expiresAt) implements EgressMaterial {

        public Placeholders {
            replacements = List.copyOf(replacements);
        }

        @Override
        public String toString() {
            return "Placeholders" + replacements;
        }
    }

    record Replacement(String placeholder, String value, Set<PlaceholderSubstitutionLocation> locations) {

        public Replacement {
            locations = Set.copyOf(locations);
        }

        @Override
        public String toString() {
            return placeholder + " in " + locations;
        }
    }

    /** {@code username_password}: the login a SOCKS5 upstream ({@code egress.proxy.credentialRef}) asks for. */
    record UsernamePassword(String username, String password, Instant expiresAt) implements EgressMaterial {

        @Override
        public String toString() {
            return "UsernamePassword[" + username + ", ***]";
        }
    }

    /** {@code tls_client_certificate}: presented on the re-originated TLS connection. */
    record ClientCertificate(String certificatePem, String privateKeyPem, Instant expiresAt) implements EgressMaterial {

        @Override
        public String toString() {
            return "ClientCertificate";
        }
    }

    /**
     * {@code ssh_proxy}: the proxy ends the sandbox's SSH session, admitting only {@code sandboxPublicKeys}
     * (OpenSSH public key lines), and logs in to the destination as {@code upstreamUsername} with {@code key}
     * (decrypted by the server), once its host key matches one of {@code knownHosts} (OpenSSH known_hosts lines).
     */
    record SshLogin(String upstreamUsername, KeyPair key, List<String> sandboxPublicKeys, List<String> knownHosts,
            Instant expiresAt) implements EgressMaterial {

        public SshLogin {
            sandboxPublicKeys = List.copyOf(sandboxPublicKeys);
            knownHosts = List.copyOf(knownHosts);
        }

        @Override
        public String toString() {
            return "SshLogin[" + upstreamUsername + ", " + sandboxPublicKeys.size() + " sandbox keys, "
                    + knownHosts.size() + " known hosts, ***]";
        }
    }
}
