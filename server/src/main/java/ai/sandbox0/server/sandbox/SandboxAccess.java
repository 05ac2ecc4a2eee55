package ai.sandbox0.server.sandbox;

import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.procd.ProcdEndpoint;

/**
 * Where a sandbox's processes and files are served: the lifecycle decides (the caller's team, the
 * sandbox's phase, auto-resume) and answers with the running procd, or throws the upstream error
 * (404 not visible, 503 not running with auto-resume off).
 */
@FunctionalInterface
public interface SandboxAccess {

    ProcdEndpoint procdFor(Principal caller, String sandboxId);
}
