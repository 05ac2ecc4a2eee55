package ai.sandbox0.node.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What makes a sandbox trust the egress proxy's CA (the certificate only; its key never leaves the host): the
 * certificate and a bundle of the image's own CAs plus it, in a read-only directory at {@value #DIR}, and the
 * variables that point TLS clients (OpenSSL, curl, Python requests, Node.js, git, the AWS SDKs) at them.
 */
public record SandboxTrust(String caPem) {

    public static final String DIR = "/var/run/sandbox0/netd";
    public static final String CA_FILE = DIR + "/mitm-ca.crt";
    public static final String BUNDLE_FILE = DIR + "/ca-bundle.crt";

    /** Where images keep their CA bundle: Debian and Ubuntu, Fedora and RHEL, openSUSE, Alpine. */
    static final List<String> SYSTEM_BUNDLES = List.of("/etc/ssl/certs/ca-certificates.crt",
            "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem");

    private static final long MAX_SYSTEM_BUNDLE = 8L << 20;

    /** The variables every process of the sandbox gets. */
    public Map<String, String> env() {
        var env = new LinkedHashMap<String, String>();
        env.put("SANDBOX0_NETD_MITM_CA_FILE", CA_FILE);
        env.put("SSL_CERT_FILE", BUNDLE_FILE);
        env.put("NODE_EXTRA_CA_CERTS", CA_FILE);
        env.put("REQUESTS_CA_BUNDLE", BUNDLE_FILE);
        env.put("CURL_CA_BUNDLE", BUNDLE_FILE);
        env.put("GIT_SSL_CAINFO", BUNDLE_FILE);
        env.put("AWS_CA_BUNDLE", BUNDLE_FILE);
        return env;
    }

    /**
     * Writes the CA and the bundle (the image's CAs under {@code rootfs}, then the proxy's) into
     * {@code dir} and answers the read-only mount showing them at {@value #DIR}.
     */
    public OciMount write(Path dir, Path rootfs) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("mitm-ca.crt"), caPem);
        String system = systemBundle(rootfs);
        String bundle = system.isEmpty() || system.endsWith("\n") ? system + caPem : system + "\n" + caPem;
        Files.writeString(dir.resolve("ca-bundle.crt"), bundle);
        return OciMount.readOnlyBind(dir, DIR);
    }

    /** The first CA bundle the image has, empty when none. */
    static String systemBundle(Path rootfs) throws IOException {
        for (String path : SYSTEM_BUNDLES) {
            Path file = inRoot(rootfs, path);
            if (file != null && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                    && Files.size(file) <= MAX_SYSTEM_BUNDLE) {
                try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                    return new String(in.readNBytes((int) MAX_SYSTEM_BUNDLE), StandardCharsets.UTF_8);
                }
            }
        }
        return "";
    }

    /**
     * {@code path} of the image resolved on the host as the sandbox would see it: symbolic links followed
     * inside {@code rootfs} only (an image's link to {@code /etc/shadow} means the image's file, never the
     * host's). Null when it does not resolve within a few links.
     */
    static Path inRoot(Path rootfs, String path) throws IOException {
        Deque<String> todo = new ArrayDeque<>(List.of(path.split("/")));
        Deque<String> at = new ArrayDeque<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.pollFirst();
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                at.pollLast();
                continue;
            }
            at.addLast(part);
            Path host = rootfs.resolve(String.join("/", at));
            if (Files.isSymbolicLink(host)) {
                if (++links > 16) {
                    return null;
                }
                String target = Files.readSymbolicLink(host).toString();
                at.pollLast();
                if (target.startsWith("/")) {
                    at.clear();
                }
                List<String> parts = List.of(target.split("/"));
                for (int i = parts.size() - 1; i >= 0; i--) {
                    todo.addFirst(parts.get(i));
                }
            } else if (!Files.exists(host, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
        }
        return rootfs.resolve(String.join("/", at));
    }
}
