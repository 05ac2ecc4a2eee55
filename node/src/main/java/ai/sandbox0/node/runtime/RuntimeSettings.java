package ai.sandbox0.node.runtime;

import ai.sandbox0.node.IdMap;
import java.time.Duration;

/**
 * The runtime's knobs that are not host paths.
 *
 * @param cgroupParent every sandbox's cgroup lives below it, e.g. {@code /sandbox0-s0}
 * @param readyTimeout how long procd may take to answer its health check
 * @param startupCpus CPUs a sandbox may use until procd is ready (then its own quota applies)
 * @param firstHostId the host id a sandbox's root is in address slot 0 (see {@link IdMap#ofSlot})
 */
public record RuntimeSettings(String cgroupParent, Duration readyTimeout, int startupCpus,
        long firstHostId) {

    /** The ids of the run in address slot {@code slot}. */
    public IdMap ids(int slot) {
        return IdMap.ofSlot(firstHostId, slot);
    }
}
