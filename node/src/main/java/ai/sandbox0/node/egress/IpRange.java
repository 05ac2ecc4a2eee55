package ai.sandbox0.node.egress;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 network ({@code 10.0.0.0/8}, {@code fe80::/10}) or a single address. An IPv4-mapped
 * IPv6 address ({@code ::ffff:10.0.0.1}) is matched as the IPv4 address it carries, so a rule cannot be
 * walked around by spelling an address the other way.
 */
public record IpRange(InetAddress network, int prefix) {

    public IpRange {
        int bits = network.getAddress().length * 8;
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix /" + prefix + " out of range for " + network.getHostAddress());
        }
    }

    /** Parses {@code a.b.c.d/n}, {@code x::y/n} or a bare address; host bits of the network are cleared. */
    public static IpRange parse(String cidr) {
        String s = cidr.strip();
        int slash = s.indexOf('/');
        String address = slash < 0 ? s : s.substring(0, slash);
        if (!address.matches("[0-9a-fA-F:.]+") || !(address.contains(":") || address.matches("(\\d{1,3}\\.){3}\\d{1,3}"))) {
            throw new IllegalArgumentException("not an IP address or CIDR: " + cidr);
        }
        InetAddress ip;
        try {
            // A literal only: getByName would ask DNS about anything that is not one (10.0.0.300).
            ip = InetAddress.ofLiteral(address);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an IP address or CIDR: " + cidr);
        }
        int bits = ip.getAddress().length * 8;
        int prefix;
        try {
            prefix = slash < 0 ? bits : Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an IP address or CIDR: " + cidr);
        }
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix out of range: " + cidr);
        }
        return new IpRange(masked(ip, prefix), prefix);
    }

    public boolean contains(InetAddress address) {
        byte[] a = canonical(address).getAddress();
        byte[] n = network.getAddress();
        if (a.length != n.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != n[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (a[full] & mask) == (n[full] & mask);
    }

    public boolean isIpv4() {
        return network instanceof Inet4Address;
    }

    /** The address as nftables and humans write it. */
    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefix;
    }

    /** IPv4-mapped IPv6 addresses become the IPv4 address they carry. */
    public static InetAddress canonical(InetAddress address) {
        if (address instanceof Inet6Address v6) {
            byte[] b = v6.getAddress();
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            mapped &= b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            if (mapped) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return address;
    }

    private static InetAddress masked(InetAddress ip, int prefix) {
        byte[] b = ip.getAddress();
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            b[i] &= (byte) ((0xff << (8 - keep)) & 0xff);
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
