package ai.sandbox0.node.net;

import ai.sandbox0.node.egress.EgressPolicy;
import ai.sandbox0.node.runtime.SetupException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A sandbox's network: its namespace, its veth pair and its firewall entries. */
public interface SandboxNetwork {

    /**
     * Where the lease's namespace file goes (runc joins it by this path). The runtime creates the namespace,
     * owned by the sandbox's user namespace, and keeps it by a bind mount there; {@link #detach} removes it.
     */
    Path namespaceFile(AddressLease lease);

    /**
     * Wires the namespace at {@link #namespaceFile}: egress policy (firewall chain, proxy and resolver), veth pair,
     * addresses, route. May run while the container starts in the namespace: nothing in it needs the network to
     * start.
     */
    void wire(AddressLease lease, EgressPolicy policy) throws SetupException;

    /** Puts {@code policy} in force at once: the next packet and the next connection see it, open ones it denies are cut. */
    void setPolicy(AddressLease lease, EgressPolicy policy) throws SetupException;

    /** Removes namespace, veth and firewall entries; missing pieces are fine. */
    void detach(String sandboxId, int slot) throws SetupException;

    /**
     * Fails when the host already routes part of {@code pool} through an interface that is not this
     * node's: another node (a second server) with an overlapping sandbox network. Its sandboxes and
     * ours would share addresses, and the gateway would reach the wrong agent.
     */
    void refuseOverlaps(Cidr pool) throws SetupException;

    /** The node-wide part: forwarding and the firewall table, replaced whole, with the adopted sandboxes' policies. */
    void installHostRules(Map<AddressLease, EgressPolicy> adopted) throws SetupException;

    /** Removes the node-wide firewall table. */
    void removeHostRules() throws SetupException;

    /** Sandbox ids that have a namespace on this host. */
    List<String> namespaces();

    /** Slots that have a host-side veth on this host. */
    List<Integer> veths();
}
