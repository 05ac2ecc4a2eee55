package ai.sandbox0.server.sandbox;

import java.nio.file.Path;

/**
 * The container logs of a host's runs, as files the gateway reads and follows. Local to the host
 * serving them; a remote node will stream them instead.
 */
public interface RunLogs {

    /** The log of a run (tini and procd); exists while the run does. */
    Path current(String runId);

    /** The kept end of the log of the sandbox's last checkpointed run (may not exist). */
    Path previous(String sandboxId);
}
