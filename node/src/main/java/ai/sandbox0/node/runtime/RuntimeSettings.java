package ai.sandbox0.node.runtime;

import java.time.Duration;
import java.util.List;

/**
 * The runtime's knobs that are not host paths.
 *
 * @param cgroupParent every sandbox's cgroup lives below it, e.g. {@code /sandbox0-s0}
 * @param nameservers written to each sandbox's resolv.conf
 * @param readyTimeout how long procd may take to answer its health check
 * @param startupCpus CPUs a sandbox may use until procd is ready (then its own quota applies)
 */
public record RuntimeSettings(String cgroupParent, List<String> nameservers, Duration readyTimeout, int startupCpus) {

    public RuntimeSettings {
        nameservers = List.copyOf(nameservers);
    }
}
