package ai.sandbox0.node.egress;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Destinations no sandbox policy can open: other sandboxes (the node's address pool), this host's own
 * addresses, loopback, link-local (where a cloud's metadata service hands out the machine's credentials),
 * multicast and reserved ranges, and the operator's private ranges (by default RFC 1918, CGNAT and IPv6
 * unique-local; on-premises operators who want sandboxes on their LAN configure fewer).
 */
public final class PlatformRules {

    /** The private ranges closed unless the operator configures others. */
    public static final List<String> DEFAULT_PRIVATE_RANGES =
            List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7");

    /** Closed whatever the configuration. */
    static final List<String> ALWAYS_DENIED = List.of("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4",
            "240.0.0.0/4", "::/128", "::1/128", "fe80::/10", "ff00::/8");

    private final List<IpRange> denied;
    private final List<IpRange> privateRanges;
    private final IpRange pool;
    private volatile Set<InetAddress> local = Set.of();
    private volatile long localReadAt;

    public PlatformRules(List<String> privateRanges, String pool) {
        this.privateRanges = privateRanges.stream().map(IpRange::parse).toList();
        this.pool = IpRange.parse(pool);
        var all = new ArrayList<IpRange>();
        ALWAYS_DENIED.stream().map(IpRange::parse).forEach(all::add);
        all.addAll(this.privateRanges);
        all.add(this.pool);
        this.denied = List.copyOf(all);
    }

    /** Every range closed to sandboxes, for the firewall (this host's own addresses come on top). */
    public List<IpRange> deniedRanges() {
        return denied;
    }

    public List<IpRange> privateRanges() {
        return privateRanges;
    }

    public IpRange pool() {
        return pool;
    }

    /** Null when a sandbox may reach {@code address} if its policy allows; otherwise why not. */
    public Verdict check(InetAddress address) {
        InetAddress a = IpRange.canonical(address);
        for (IpRange r : denied) {
            if (r.contains(a)) {
                return Verdict.deny("platform");
            }
        }
        if (localAddresses().contains(a)) {
            return Verdict.deny("platform");
        }
        return null;
    }

    public boolean denies(InetAddress address) {
        return check(address) != null;
    }

    /** This host's addresses, re-read at most once a second (interfaces come and go with sandboxes). */
    private Set<InetAddress> localAddresses() {
        long now = System.nanoTime();
        if (now - localReadAt > 1_000_000_000L) {
            try {
                local = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                        .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                        .map(IpRange::canonical)
                        .collect(Collectors.toUnmodifiableSet());
            } catch (SocketException e) {
                // keep the last known set
            }
            localReadAt = now;
        }
        return local;
    }
}
