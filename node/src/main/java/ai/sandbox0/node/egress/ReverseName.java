package ai.sandbox0.node.egress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

/**
 * The network a reverse-lookup name stands for: {@code 7.0.18.198.in-addr.arpa} is 198.18.0.7/32,
 * {@code 10.in-addr.arpa} is 10.0.0.0/8, and {@code ip6.arpa} names count nibbles. The resolver answers
 * reverse queries for the node's own and private networks itself, so that they never reach the host's
 * nameservers (which would answer for the host's LAN, or carry the query further).
 */
final class ReverseName {

    private static final String V4 = ".in-addr.arpa";
    private static final String V6 = ".ip6.arpa";

    private ReverseName() {
    }

    /** The network {@code name} stands for, or empty when it is no reverse name (or a malformed one). */
    static Optional<IpRange> of(String name) {
        String n = DomainPattern.normalize(name);
        try {
            if (n.endsWith(V4)) {
                String[] labels = n.substring(0, n.length() - V4.length()).split("\\.");
                if (labels.length > 4) {
                    return Optional.empty();
                }
                byte[] b = new byte[4];
                for (int i = 0; i < labels.length; i++) {
                    if (!labels[i].matches("\\d{1,3}") || Integer.parseInt(labels[i]) > 255) {
                        return Optional.empty();
                    }
                    b[labels.length - 1 - i] = (byte) Integer.parseInt(labels[i]);
                }
                return Optional.of(new IpRange(InetAddress.getByAddress(b), labels.length * 8));
            }
            if (n.endsWith(V6)) {
                String[] nibbles = n.substring(0, n.length() - V6.length()).split("\\.");
                if (nibbles.length > 32) {
                    return Optional.empty();
                }
                byte[] b = new byte[16];
                for (int i = 0; i < nibbles.length; i++) {
                    if (!nibbles[i].matches("[0-9a-f]")) {
                        return Optional.empty();
                    }
                    int position = nibbles.length - 1 - i;
                    int v = Character.digit(nibbles[i].charAt(0), 16);
                    b[position / 2] |= (byte) (position % 2 == 0 ? v << 4 : v);
                }
                return Optional.of(new IpRange(InetAddress.getByAddress(b), nibbles.length * 4));
            }
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** Whether {@code name} is a reverse name inside one of {@code ranges}. */
    static boolean within(String name, List<IpRange> ranges) {
        return of(name).map(net -> ranges.stream()
                .anyMatch(r -> r.isIpv4() == net.isIpv4() && r.prefix() <= net.prefix() && r.contains(net.network())))
                .orElse(false);
    }
}
