package ai.sandbox0.procd.context;

import ai.sandbox0.procd.sys.Poller;
import java.nio.file.Path;

/**
 * What every context needs from procd, passed in at construction.
 *
 * @param outputMaxChars  replay window of a running context (characters ≈ bytes for ASCII output)
 * @param outputMaxFrames replay window in frames
 * @param execTimeoutMillis cap of exec and wait_until_done (30 s upstream)
 * @param writeTimeoutMillis how long a full input buffer is waited out before input_buffer_full
 */
public record ContextRuntime(
        Poller poller,
        EnvLayers env,
        Path workspace,
        long outputMaxChars,
        int outputMaxFrames,
        long execTimeoutMillis,
        long writeTimeoutMillis,
        int defaultTtlSec,
        int defaultIdleTimeoutSec,
        int finishedRetentionSec,
        int maxFinished,
        Path proc,
        Path cgroup) {
}
