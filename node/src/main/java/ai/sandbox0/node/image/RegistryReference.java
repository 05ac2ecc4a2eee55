package ai.sandbox0.node.image;

import ai.sandbox0.node.Digest;

/**
 * An image in a registry, parsed the way Docker does: {@code [host[:port]/]repo[:tag][@sha256:…]}.
 * A first component without a dot or port (and not {@code localhost}) is a Docker Hub repository.
 */
public record RegistryReference(String registry, String repository, String tag, Digest digest) {

    public static final String DOCKER_HUB = "docker.io";

    public static RegistryReference parse(String text) {
        String rest = text.strip();
        if (rest.isEmpty() || rest.contains("://")) {
            throw new IllegalArgumentException("not an image reference: '" + text + "'");
        }
        Digest digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = Digest.parse(rest.substring(at + 1));
            rest = rest.substring(0, at);
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        String registry = DOCKER_HUB;
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
                registry = first;
                rest = rest.substring(slash + 1);
            }
        }
        if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
            rest = "library/" + rest;
        }
        if (!rest.matches("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")) {
            throw new IllegalArgumentException("not an image reference: '" + text + "' (bad repository name)");
        }
        if (tag != null && !tag.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")) {
            throw new IllegalArgumentException("not an image reference: '" + text + "' (bad tag)");
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        return new RegistryReference(registry, rest, tag, digest);
    }

    /** The host that serves the v2 API (Docker Hub's differs from its name). */
    public String apiHost() {
        return registry.equals(DOCKER_HUB) ? "registry-1.docker.io" : registry;
    }

    /** What goes after {@code /manifests/}: the digest when pinned, else the tag. */
    public String manifestReference() {
        return digest != null ? digest.toString() : tag;
    }

    @Override
    public String toString() {
        return registry + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}
