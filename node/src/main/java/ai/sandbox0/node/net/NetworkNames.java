package ai.sandbox0.node.net;

import java.util.Optional;

/**
 * How a node names its kernel objects, all prefixed by the node's name so that two nodes (or a test
 * and a server) on one host never touch each other's: netns {@code <node>-<sandbox>}, host-side veth
 * {@code <node>v<slot>} (interface names have 15 characters), nftables table {@code inet sandbox0_<node>}.
 */
public record NetworkNames(String node) {

    public NetworkNames {
        if (!node.matches("[a-z][a-z0-9]{0,5}")) {
            throw new IllegalArgumentException("node name must be 1-6 of [a-z0-9], starting with a letter: " + node);
        }
    }

    public String netns(String sandboxId) {
        return node + "-" + sandboxId;
    }

    public Optional<String> sandboxOfNetns(String netns) {
        return netns.startsWith(node + "-") ? Optional.of(netns.substring(node.length() + 1)) : Optional.empty();
    }

    public String hostVeth(int slot) {
        return node + "v" + slot;
    }

    /** The slot of one of our host-side veths, or empty for any other interface. */
    public Optional<Integer> slotOfVeth(String ifname) {
        String p = node + "v";
        if (ifname.startsWith(p) && ifname.length() > p.length() && ifname.substring(p.length()).matches("\\d{1,5}")) {
            return Optional.of(Integer.parseInt(ifname.substring(p.length())));
        }
        return Optional.empty();
    }

    /** nft wildcard matching every host-side veth of this node. */
    public String vethWildcard() {
        return node + "v*";
    }

    public String table() {
        return "sandbox0_" + node;
    }
}
