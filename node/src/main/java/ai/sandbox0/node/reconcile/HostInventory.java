package ai.sandbox0.node.reconcile;

import ai.sandbox0.node.net.AddressLease;
import ai.sandbox0.node.runtime.ContainerState;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What one node's earlier runs left on the host, found by looking (never by trusting a record): runc
 * containers under its root, mounts under its state dir, state dirs, address leases, network
 * namespaces, host-side veths and cgroup dirs.
 */
public record HostInventory(
        Map<String, ContainerState> containers,
        List<Path> mounts,
        List<String> stateDirs,
        List<AddressLease> leases,
        List<String> namespaces,
        List<Integer> veths,
        List<String> cgroups) {

    /** Every sandbox id any piece belongs to. */
    public Set<String> ids() {
        var ids = new TreeSet<String>();
        ids.addAll(containers.keySet());
        ids.addAll(stateDirs);
        leases.forEach(l -> ids.add(l.sandboxId()));
        ids.addAll(namespaces);
        ids.addAll(cgroups);
        return ids;
    }

    /** Host-side veths whose slot no lease claims (their namespace is gone): nothing else would remove them. */
    public List<Integer> orphanVeths() {
        var leased = leases.stream().map(AddressLease::slot).collect(java.util.stream.Collectors.toSet());
        return veths.stream().filter(v -> !leased.contains(v)).toList();
    }
}
