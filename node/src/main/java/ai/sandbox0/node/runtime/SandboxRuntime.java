package ai.sandbox0.node.runtime;

import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.node.egress.EgressPolicy;
import ai.sandbox0.node.Sandbox;
import ai.sandbox0.node.net.AddressPool;
import ai.sandbox0.node.net.SandboxNetwork;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The sandboxes running on this node: start, stop, destroy, exec and egress switches. Thread-safe. */
public final class SandboxRuntime {

    private static final Logger log = LoggerFactory.getLogger(SandboxRuntime.class);

    private final SandboxLayout layout;
    private final Runc runc;
    private final SandboxLauncher launcher;
    private final Teardown teardown;
    private final SandboxNetwork network;
    private final AddressPool addresses;
    private final Map<String, Sandbox> running = new ConcurrentHashMap<>();
    // Ids being started or stopped: a second start of the same id must not race the first.
    private final Map<String, Boolean> busy = new ConcurrentHashMap<>();

    public SandboxRuntime(SandboxLayout layout, Runc runc, SandboxLauncher launcher, Teardown teardown,
            SandboxNetwork network, AddressPool addresses) {
        this.layout = layout;
        this.runc = runc;
        this.launcher = launcher;
        this.teardown = teardown;
        this.network = network;
        this.addresses = addresses;
    }

    public Sandbox start(SandboxSpec spec) throws SetupException {
        String id = spec.id();
        if (running.containsKey(id) || busy.putIfAbsent(id, Boolean.TRUE) != null) {
            throw new IllegalStateException("sandbox " + id + " is already running or starting");
        }
        try {
            Sandbox s = launcher.launch(spec);
            running.put(id, s);
            return s;
        } finally {
            busy.remove(id);
        }
    }

    /** Kills the container and unmounts its root, keeping the upper dir for a checkpoint. */
    public void stop(String id) throws SetupException {
        Sandbox s = running.remove(id);
        teardown.remove(id, s == null ? -1 : s.slot(), true);
        log.info("sandbox {} stopped", id);
    }

    /**
     * SIGKILLs every process of the running sandbox now, without tearing anything down: its init is one of
     * them, and a PID namespace whose init dies loses every other process with it. No-op when not running.
     */
    public void kill(String id) throws SetupException {
        Sandbox s = running.get(id);
        if (s != null) {
            teardown.killProcesses(id);
        }
    }

    /** Stops the sandbox and deletes everything it left on this node, upper dir included. */
    public void destroy(String id) throws SetupException {
        Sandbox s = running.remove(id);
        teardown.remove(id, s == null ? -1 : s.slot(), false);
        log.info("sandbox {} destroyed", id);
    }

    public Optional<Sandbox> get(String id) {
        return Optional.ofNullable(running.get(id));
    }

    public Collection<Sandbox> list() {
        return List.copyOf(running.values());
    }

    /** Whether the sandbox's init still runs (a cheap /proc look, no fork). */
    public boolean alive(Sandbox s) {
        return SandboxLauncher.alive(s.initPid());
    }

    public Sandbox setNetworkPolicy(String id, SandboxNetworkPolicy policy) throws SetupException {
        Sandbox s = running.get(id);
        if (s == null) {
            throw new IllegalStateException("sandbox " + id + " is not running");
        }
        network.setPolicy(addresses.leaseOf(id).orElseThrow(), EgressPolicy.compile(policy));
        Sandbox updated = s.withNetwork(policy);
        launcher.writeRecord(updated);
        running.put(id, updated);
        return updated;
    }

    /** Runs a command inside with the sandbox's own limits and hardening ({@code runc exec}). */
    public ExecResult exec(String id, List<String> command, Duration timeout) throws SetupException {
        return runc.exec(id, command, Map.of(), timeout);
    }

    /** Takes over a sandbox a previous run of the node left running (see reconcile). */
    public void adopt(Sandbox s) {
        running.put(s.id(), s);
    }

    public Path upperDir(String id) {
        return layout.upper(id);
    }

    public SandboxLayout layout() {
        return layout;
    }

    public Runc runc() {
        return runc;
    }

    public Teardown teardown() {
        return teardown;
    }
}
