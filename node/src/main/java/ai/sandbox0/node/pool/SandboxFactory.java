package ai.sandbox0.node.pool;

import ai.sandbox0.node.Sandbox;
import ai.sandbox0.node.runtime.SandboxSpec;
import ai.sandbox0.node.runtime.SetupException;

/** What a pool needs from the runtime; tests give it a fake. */
public interface SandboxFactory {

    /** Starts a sandbox and returns once procd is ready. */
    Sandbox start(SandboxSpec spec) throws SetupException;

    /** Removes a sandbox and everything it left. */
    void destroy(String id) throws SetupException;

    /** Whether an idle sandbox is still running (procd may have died while it waited). */
    boolean alive(Sandbox sandbox);
}
