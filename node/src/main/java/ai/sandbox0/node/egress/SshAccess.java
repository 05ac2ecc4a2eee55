package ai.sandbox0.node.egress;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;

/**
 * An {@code ssh_proxy} binding's material, parsed: who may open the sandbox side (its public keys), which
 * upstream host keys are trusted for which hosts (known_hosts lines), and the login the proxy makes upstream.
 */
record SshAccess(String username, KeyPair key, List<PublicKey> sandboxKeys, List<Known> knownHosts) {

    /** One known_hosts line: its host patterns and key; {@code revoked} for a {@code @revoked} line. */
    record Known(KnownHostEntry entry, PublicKey key, boolean revoked) {
    }

    /** The material cannot be used as it is; the message names the part, never a key. */
    static final class Unusable extends Exception {
        Unusable(String message) {
            super(message, null, false, false);
        }
    }

    SshAccess {
        sandboxKeys = List.copyOf(sandboxKeys);
        knownHosts = List.copyOf(knownHosts);
    }

    static SshAccess of(EgressMaterial.SshLogin login) throws Unusable {
        return new SshAccess(login.upstreamUsername(), login.key(), sandboxKeys(login.sandboxPublicKeys()),
                knownHosts(login.knownHosts()));
    }

    /** The keys of {@code sandboxPublicKeys} lines (OpenSSH public key lines); at least one. */
    static List<PublicKey> sandboxKeys(List<String> lines) throws Unusable {
        var sandbox = new ArrayList<PublicKey>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            PublicKey k = null;
            try {
                AuthorizedKeyEntry entry = line == null ? null : AuthorizedKeyEntry.parseAuthorizedKeyEntry(line.strip());
                k = entry == null ? null : entry.resolvePublicKey(null, Map.of(), PublicKeyEntryResolver.IGNORING);
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                // reported below
            }
            if (k == null) {
                throw new Unusable("sandboxPublicKeys[" + i + "] is not an OpenSSH public key this proxy reads");
            }
            sandbox.add(k);
        }
        if (sandbox.isEmpty()) {
            throw new Unusable("no sandboxPublicKeys");
        }
        return sandbox;
    }

    /** The entries of {@code knownHosts} lines (blank and comment lines skipped). */
    static List<Known> knownHosts(List<String> lines) throws Unusable {
        var known = new ArrayList<Known>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line == null || line.isBlank() || line.strip().startsWith("#")) {
                continue;
            }
            try {
                KnownHostEntry entry = KnownHostEntry.parseKnownHostEntry(line.strip());
                if (entry == null || entry.getKeyEntry() == null) {
                    throw new Unusable("knownHosts[" + i + "] is not a known_hosts line");
                }
                if ("cert-authority".equals(entry.getMarker())) {
                    continue; // host certificates are not checked: such a line trusts nothing here
                }
                PublicKey k = entry.getKeyEntry().resolvePublicKey(null, Map.of(), PublicKeyEntryResolver.IGNORING);
                if (k != null) { // a key type this proxy cannot verify trusts nothing
                    known.add(new Known(entry, k, "revoked".equals(entry.getMarker())));
                }
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                throw new Unusable("knownHosts[" + i + "] is not a known_hosts line");
            }
        }
        return known;
    }

    /** Whether a sandbox client presenting {@code key} may open the session. */
    boolean admits(PublicKey presented) {
        return sandboxKeys.stream().anyMatch(k -> KeyUtils.compareKeys(k, presented));
    }

    /**
     * Whether {@code presented} is a host key known for the destination: a line naming the flow's host name (when
     * it has one) or its address, at its port ({@code [host]:port} off port 22), with that key and not revoked.
     */
    boolean knows(String host, InetSocketAddress destination, PublicKey presented) {
        var names = new ArrayList<String>();
        if (host != null) {
            names.add(host);
        }
        names.add(destination.getAddress().getHostAddress());
        int port = destination.getPort();
        boolean trusted = false;
        for (Known k : knownHosts) {
            if (!KeyUtils.compareKeys(k.key(), presented) || names.stream().noneMatch(n -> k.entry().isHostMatch(n, port))) {
                continue;
            }
            if (k.revoked()) {
                return false;
            }
            trusted = true;
        }
        return trusted;
    }

    @Override
    public String toString() {
        return "SshAccess[" + username + ", " + sandboxKeys.size() + " sandbox keys, " + knownHosts.size()
                + " known hosts, ***]";
    }
}
