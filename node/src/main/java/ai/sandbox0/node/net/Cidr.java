package ai.sandbox0.node.net;

/** An IPv4 network such as {@code 10.88.0.0/16}. */
public record Cidr(int base, int prefix) {

    public Cidr {
        if (prefix < 8 || prefix > 30) {
            throw new IllegalArgumentException("pool prefix must be /8../30, got /" + prefix);
        }
        int mask = mask(prefix);
        if ((base & ~mask) != 0) {
            throw new IllegalArgumentException("not a network address: " + format(base) + "/" + prefix);
        }
    }

    public static Cidr parse(String s) {
        int slash = s.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a CIDR (a.b.c.d/n): " + s);
        }
        return new Cidr(parseAddress(s.substring(0, slash)), Integer.parseInt(s.substring(slash + 1)));
    }

    public long size() {
        return 1L << (32 - prefix);
    }

    public String address(long offset) {
        if (offset < 0 || offset >= size()) {
            throw new IllegalArgumentException("offset " + offset + " outside " + this);
        }
        return format(base + (int) offset);
    }

    public boolean contains(String address) {
        return (parseAddress(address) & mask(prefix)) == base;
    }

    @Override
    public String toString() {
        return format(base) + "/" + prefix;
    }

    static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    static int parseAddress(String s) {
        String[] p = s.strip().split("\\.");
        if (p.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + s);
        }
        int a = 0;
        for (String octet : p) {
            int v = Integer.parseInt(octet);
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + s);
            }
            a = (a << 8) | v;
        }
        return a;
    }

    static String format(int a) {
        return ((a >>> 24) & 255) + "." + ((a >>> 16) & 255) + "." + ((a >>> 8) & 255) + "." + (a & 255);
    }
}
