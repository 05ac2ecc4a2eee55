package ai.sandbox0.node;

import java.util.Map;
import java.util.Optional;

/** Username and password for a registry host, if the node has any. Never logged. */
@FunctionalInterface
public interface RegistryCredentials {

    RegistryCredentials ANONYMOUS = registry -> Optional.empty();

    Optional<Login> lookup(String registry);

    record Login(String username, String password) {
        @Override
        public String toString() {
            return "Login[" + username + ", ***]";
        }
    }

    static RegistryCredentials of(Map<String, Login> byRegistry) {
        Map<String, Login> copy = Map.copyOf(byRegistry);
        return registry -> Optional.ofNullable(copy.get(registry));
    }
}
