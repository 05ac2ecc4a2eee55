package ai.sandbox0.node.egress;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** A {@code host:port} as policies write an upstream proxy's address ({@code [v6]:port} for IPv6 literals). */
record HostPort(String host, int port) {

    /** Null when {@code s} is not {@code host:port} with a port in 1..65535. */
    static HostPort parse(String s) {
        if (s == null) {
            return null;
        }
        int colon = s.strip().lastIndexOf(':');
        if (colon <= 0) {
            return null;
        }
        String host = s.strip().substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(s.strip().substring(colon + 1));
            return port < 1 || port > 65535 || host.isEmpty() ? null : new HostPort(host, port);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    boolean literal() {
        return isLiteral(host);
    }

    static boolean isLiteral(String host) {
        return host.matches("[0-9.]+") || host.contains(":");
    }

    /** The address, resolving a name (which blocks); null when it does not resolve. */
    InetSocketAddress resolve() {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
