package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.EgressProxyPolicy;
import java.util.Optional;

/**
 * The user name and password for a policy's SOCKS5 upstream ({@code egress.proxy.credentialRef}, a binding
 * with a {@code username_password} projection). Called on a network thread: answer from a cache.
 */
@FunctionalInterface
public interface ProxyCredentials {

    Optional<UsernamePassword> forProxy(String sandboxId, EgressProxyPolicy proxy);

    record UsernamePassword(String username, String password) {

        @Override
        public String toString() {
            return "UsernamePassword[" + username + ", ***]";
        }
    }

    ProxyCredentials NONE = (id, proxy) -> Optional.empty();
}
