package ai.sandbox0.node.net;

import ai.sandbox0.node.egress.EgressPolicies;
import ai.sandbox0.node.egress.EgressPolicy;
import ai.sandbox0.node.runtime.HostCommand;
import ai.sandbox0.node.runtime.SetupException;
import ai.sandbox0.node.runtime.Step;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Veths and addresses with iproute2 in namespaces bind-mounted under {@code netnsDir} (where
 * {@code ip netns} finds them), rules with nftables. Each step is one {@code ip -batch} so a start costs three
 * forks of ip. Host paths and binaries come in through the constructor.
 */
public final class LinuxNetwork implements SandboxNetwork {

    private final Path ip;
    private final Path netnsDir;
    private final Path sysClassNet;
    private final Path ipForward;
    private final NetworkNames names;
    private final Firewall firewall;
    private final EgressPolicies policies;

    public LinuxNetwork(Path ip, Path netnsDir, Path sysClassNet, Path ipForward, NetworkNames names, Firewall firewall,
            EgressPolicies policies) {
        this.ip = ip;
        this.netnsDir = netnsDir;
        this.sysClassNet = sysClassNet;
        this.ipForward = ipForward;
        this.names = names;
        this.firewall = firewall;
        this.policies = policies;
    }

    @Override
    public Path namespaceFile(AddressLease lease) {
        return netnsDir.resolve(names.netns(lease.sandboxId()));
    }

    @Override
    public void wire(AddressLease lease, EgressPolicy policy) throws SetupException {
        String ns = names.netns(lease.sandboxId());
        String veth = names.hostVeth(lease.slot());
        // In force before the link comes up, so a sandbox never has a moment of egress its policy denies.
        setPolicy(lease, policy);
        HostCommand.check(Step.CREATE_VETH, List.of(ip.toString(), "-batch", "-"),
                "link add " + veth + " type veth peer name eth0 netns " + ns + "\n"
                + "addr add " + lease.hostAddress() + "/" + AddressLease.PREFIX + " dev " + veth + "\n"
                + "link set " + veth + " up\n");
        HostCommand.check(Step.CONFIGURE_NETNS, List.of(ip.toString(), "-n", ns, "-batch", "-"),
                "link set lo up\n"
                + "addr add " + lease.sandboxAddress() + "/" + AddressLease.PREFIX + " dev eth0\n"
                + "link set eth0 up\n"
                + "route add default via " + lease.hostAddress() + "\n");
        // The gateway and the readiness probe reach procd by address alone, and of two equal routes the kernel
        // takes the older one: if anything else routes this address (a server whose sandbox network overlaps
        // ours), our connections would reach its procd, which answers our token with a 401. Refuse the start.
        String route = HostCommand.check(Step.CONFIGURE_NETNS,
                List.of(ip.toString(), "-4", "-o", "route", "get", lease.sandboxAddress())).stdout().strip();
        if (!(" " + route + " ").contains(" dev " + veth + " ")) {
            throw new SetupException(Step.CONFIGURE_NETNS, lease.sandboxId() + ": " + lease.sandboxAddress()
                    + " is routed elsewhere (" + route + "); does another server's sandbox network overlap this one?");
        }
    }

    @Override
    public void setPolicy(AddressLease lease, EgressPolicy policy) throws SetupException {
        firewall.attach(names.hostVeth(lease.slot()), lease.slot(), policy);
        policies.put(lease.sandboxId(), address(lease.sandboxAddress()), policy);
    }

    private static InetAddress address(String ip) throws SetupException {
        try {
            return InetAddress.ofLiteral(ip);
        } catch (IllegalArgumentException e) {
            throw new SetupException(Step.CONFIGURE_NETNS, "not an address: " + ip, e);
        }
    }

    @Override
    public void detach(String sandboxId, int slot) throws SetupException {
        String veth = names.hostVeth(slot);
        policies.removeSandbox(sandboxId);
        if (slot >= 0) {
            try {
                firewall.detach(veth, slot);
            } catch (SetupException ignored) {
                // never attached, or the table is gone
            }
        }
        String ns = names.netns(sandboxId);
        if (Files.exists(netnsDir.resolve(ns))) {
            // Deleting the namespace destroys the veth pair with it once no process holds it.
            HostCommand.check(Step.DELETE_NETNS, List.of(ip.toString(), "netns", "delete", ns));
        }
        if (slot >= 0 && Files.exists(sysClassNet.resolve(veth))) {
            try {
                HostCommand.run(List.of(ip.toString(), "link", "delete", veth));
            } catch (IOException e) {
                throw new SetupException(Step.DELETE_NETNS, veth + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public void refuseOverlaps(Cidr pool) throws SetupException {
        String routes = HostCommand.check(Step.RECONCILE, List.of(ip.toString(), "-4", "-o", "route", "show")).stdout();
        for (String line : routes.split("\n")) {
            String[] words = line.strip().split("\\s+");
            int dev = List.of(words).indexOf("dev");
            if (words.length < 3 || dev < 0 || dev + 1 >= words.length) {
                continue;
            }
            String destination = words[0].contains("/") ? words[0].substring(0, words[0].indexOf('/')) : words[0];
            if (!destination.matches("\\d+\\.\\d+\\.\\d+\\.\\d+") || !pool.contains(destination)) {
                continue;
            }
            if (names.slotOfVeth(words[dev + 1]).isEmpty()) {
                throw new SetupException(Step.RECONCILE, "sandbox network " + pool + " overlaps a route of another"
                        + " interface on this host (" + line.strip() + "): give every server on a host its own"
                        + " --sandbox-network");
            }
        }
    }

    @Override
    public void installHostRules(Map<AddressLease, EgressPolicy> adopted) throws SetupException {
        try {
            // Without forwarding the host drops every sandbox packet it should route.
            if (!Files.readString(ipForward).strip().equals("1")) {
                Files.writeString(ipForward, "1\n");
            }
        } catch (IOException e) {
            throw new SetupException(Step.FIREWALL, "cannot enable IPv4 forwarding at " + ipForward + ": " + e.getMessage(), e);
        }
        var chains = new java.util.ArrayList<FirewallRules.SandboxChain>();
        for (var e : adopted.entrySet()) {
            chains.add(new FirewallRules.SandboxChain(names.hostVeth(e.getKey().slot()), e.getKey().slot(), e.getValue()));
        }
        firewall.install(chains);
        for (var e : adopted.entrySet()) {
            policies.put(e.getKey().sandboxId(), address(e.getKey().sandboxAddress()), e.getValue());
        }
    }

    @Override
    public void removeHostRules() throws SetupException {
        try {
            firewall.remove();
        } catch (SetupException e) {
            if (!e.getMessage().contains("No such file or directory")) {
                throw e;
            }
        }
    }

    @Override
    public List<String> namespaces() {
        return list(netnsDir).stream().map(names::sandboxOfNetns).flatMap(Optional::stream).toList();
    }

    @Override
    public List<Integer> veths() {
        return list(sysClassNet).stream().map(names::slotOfVeth).flatMap(Optional::stream).toList();
    }

    private static List<String> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
