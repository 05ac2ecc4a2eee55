package ai.sandbox0.node.egress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's nameservers as {@code /etc/resolv.conf} lists them (resolv.conf(5)): the {@code nameserver}
 * lines, at most three and in order, with the {@code timeout:} and {@code attempts:} options. With no
 * nameserver line the host's own resolver on 127.0.0.1 is meant, as for the C library.
 * <p>
 * A loopback nameserver, such as systemd-resolved's stub at 127.0.0.53, is kept: the node's resolver runs in
 * the host's network namespace, where the stub answers, and going round it to the stub's upstreams would lose
 * its per-interface routing of names (VPN and split-horizon domains). Sandboxes never reach it themselves.
 */
public record HostResolvConf(List<InetSocketAddress> nameservers, Duration timeout, int attempts) {

    public static final Path PATH = Path.of("/etc/resolv.conf");
    private static final int MAX_NAMESERVERS = 3;

    public HostResolvConf {
        nameservers = List.copyOf(nameservers);
    }

    public static HostResolvConf read() {
        return read(PATH);
    }

    public static HostResolvConf read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (NoSuchFileException e) {
            return parse("");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Lines it does not understand are ignored, as the C library does. */
    public static HostResolvConf parse(String text) {
        var servers = new ArrayList<InetSocketAddress>();
        int timeout = 5;
        int attempts = 2;
        for (String line : text.lines().toList()) {
            String[] words = line.strip().split("\\s+");
            if (words.length < 2 || words[0].startsWith("#") || words[0].startsWith(";")) {
                continue;
            }
            if (words[0].equals("nameserver") && servers.size() < MAX_NAMESERVERS) {
                InetAddress a = literal(words[1]);
                if (a != null) {
                    servers.add(new InetSocketAddress(a, 53));
                }
            } else if (words[0].equals("options")) {
                for (int i = 1; i < words.length; i++) {
                    timeout = option(words[i], "timeout:", timeout, 1, 30);
                    attempts = option(words[i], "attempts:", attempts, 1, 5);
                }
            }
        }
        if (servers.isEmpty()) {
            servers.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), 53));
        }
        return new HostResolvConf(servers, Duration.ofSeconds(timeout), attempts);
    }

    /** An IPv4 or IPv6 literal (with a {@code %scope} for link-local), never a name to look up. */
    private static InetAddress literal(String word) {
        String address = word.contains("%") ? word.substring(0, word.indexOf('%')) : word;
        if (!address.matches("[0-9a-fA-F:.]+") || !(address.contains(":") || address.matches("(\\d{1,3}\\.){3}\\d{1,3}"))) {
            return null;
        }
        try {
            return InetAddress.getByName(word);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static int option(String word, String prefix, int current, int min, int max) {
        if (!word.startsWith(prefix)) {
            return current;
        }
        try {
            return Math.clamp(Integer.parseInt(word.substring(prefix.length())), min, max);
        } catch (NumberFormatException e) {
            return current;
        }
    }
}
