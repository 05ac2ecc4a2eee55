package ai.sandbox0.node.reconcile;

import ai.sandbox0.api.Json;
import ai.sandbox0.node.ReconcileReport;
import ai.sandbox0.node.Sandbox;
import ai.sandbox0.node.net.AddressLease;
import ai.sandbox0.node.net.AddressPool;
import ai.sandbox0.node.net.NetworkNames;
import ai.sandbox0.node.net.SandboxNetwork;
import ai.sandbox0.node.runtime.CgroupLayout;
import ai.sandbox0.node.runtime.ContainerState;
import ai.sandbox0.node.runtime.HostCommand;
import ai.sandbox0.node.runtime.MountTable;
import ai.sandbox0.node.runtime.Runc;
import ai.sandbox0.node.runtime.SandboxLayout;
import ai.sandbox0.node.runtime.SetupException;
import ai.sandbox0.node.runtime.Step;
import ai.sandbox0.node.runtime.Teardown;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the host match what the caller (the server's store) says should run, after a crash or a
 * restart. The seam is {@code expected}: the sandbox ids the caller believes are running here. Each id
 * found on the host is then adopted (expected, container running, its record, lease, namespace and
 * root mount all present), or removed: with its upper dir kept when it was expected (its changes may
 * still be checkpointed), with everything when it was not. Pool sandboxes are never expected, so a
 * restart drops them and the pools start fresh ones.
 */
public final class Reconciler {

    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    private final SandboxLayout layout;
    private final Runc runc;
    private final MountTable mounts;
    private final AddressPool addresses;
    private final SandboxNetwork network;
    private final NetworkNames names;
    private final CgroupLayout cgroups;
    private final String cgroupParent;
    private final Teardown teardown;
    private final Path ip;

    public Reconciler(SandboxLayout layout, Runc runc, MountTable mounts, AddressPool addresses, SandboxNetwork network,
            NetworkNames names, CgroupLayout cgroups, String cgroupParent, Teardown teardown, Path ip) {
        this.layout = layout;
        this.runc = runc;
        this.mounts = mounts;
        this.addresses = addresses;
        this.network = network;
        this.names = names;
        this.cgroups = cgroups;
        this.cgroupParent = cgroupParent;
        this.teardown = teardown;
        this.ip = ip;
    }

    public HostInventory inventory() throws SetupException {
        Map<String, ContainerState> containers = new LinkedHashMap<>();
        for (ContainerState c : runc.list()) {
            containers.put(c.id(), c);
        }
        List<Path> mountPoints;
        try {
            mountPoints = mounts.mountPointsUnder(layout.sandboxes());
        } catch (IOException e) {
            throw new SetupException(Step.RECONCILE, "cannot read the mount table: " + e.getMessage(), e);
        }
        List<String> cgroupIds = cgroups.children(cgroupParent).stream()
                .map(p -> p.getFileName().toString()).distinct().sorted().toList();
        return new HostInventory(containers, mountPoints, layout.ids(), addresses.leases(), network.namespaces(),
                network.veths(), cgroupIds);
    }

    /**
     * Looks, decides, acts. Returns the sandboxes to adopt; the firewall table must be (re)installed by
     * the caller with the blocked ones among them.
     */
    public Result reconcile(Set<String> expected) throws SetupException {
        HostInventory inv = inventory();
        var adopted = new ArrayList<Sandbox>();
        var lost = new ArrayList<String>();
        var removed = new ArrayList<String>();
        var errors = new ArrayList<String>();
        for (String id : inv.ids()) {
            boolean wanted = expected.contains(id);
            Optional<Sandbox> live = wanted ? adoptable(id, inv) : Optional.empty();
            if (live.isPresent()) {
                adopted.add(live.get());
                continue;
            }
            int slot = inv.leases().stream().filter(l -> l.sandboxId().equals(id)).mapToInt(AddressLease::slot)
                    .findFirst().orElse(-1);
            try {
                teardown.remove(id, slot, wanted);
            } catch (SetupException e) {
                errors.add(id + ": " + e.getMessage());
                log.warn("reconcile: could not remove all of sandbox {}: {}", id, e.getMessage());
            }
            (wanted ? lost : removed).add(id);
        }
        var orphans = new ArrayList<String>();
        for (int slot : inv.orphanVeths()) {
            String veth = names.hostVeth(slot);
            try {
                HostCommand.check(Step.RECONCILE, List.of(ip.toString(), "link", "delete", veth));
                orphans.add(veth);
            } catch (SetupException e) {
                errors.add(veth + ": " + e.getMessage());
            }
        }
        var report = new ReconcileReport(adopted.stream().map(Sandbox::id).toList(), lost, removed, orphans, errors);
        log.info("reconcile: adopted {}, lost {}, removed {}, orphan veths {}", report.adopted(), lost, removed, orphans);
        return new Result(adopted, report);
    }

    /** What reconcile decided: the sandboxes to manage again, and the report. */
    public record Result(List<Sandbox> adopted, ReconcileReport report) {
    }

    private Optional<Sandbox> adoptable(String id, HostInventory inv) {
        ContainerState c = inv.containers().get(id);
        if (c == null || !c.running()) {
            return Optional.empty();
        }
        Path record = layout.record(id);
        if (!Files.exists(record) || !inv.mounts().contains(layout.rootfs(id)) || !inv.namespaces().contains(id)) {
            return Optional.empty();
        }
        try {
            Sandbox s = Json.mapper().readValue(Files.readAllBytes(record), Sandbox.class);
            boolean leased = inv.leases().stream().anyMatch(l -> l.sandboxId().equals(id) && l.slot() == s.slot());
            return leased && s.initPid() == c.pid() ? Optional.of(s) : Optional.empty();
        } catch (IOException e) {
            log.warn("reconcile: unreadable record of {}: {}", id, e.getMessage());
            return Optional.empty();
        }
    }
}
