package ai.sandbox0.node.image;

import ai.sandbox0.node.Digest;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * How a builtin root filesystem is made: a debootstrap of {@code suite} with {@code variant} and
 * extra {@code packages} from {@code mirror} for {@code arch}. Its {@link #key()} names the build
 * in the host's image cache, so a different recipe never reuses another's result.
 */
public record RootfsRecipe(String suite, String variant, List<String> packages, String mirror, String arch) {

    /** Bumped when what the cache does to a built tree (the stripping) changes. */
    static final int FORMAT = 1;

    public static final List<String> DEFAULT_PACKAGES =
            List.of("python3", "nodejs", "ca-certificates", "curl", "git", "procps", "iproute2");
    public static final String DEBIAN_MIRROR = "http://deb.debian.org/debian";

    public RootfsRecipe {
        packages = packages.stream().sorted().distinct().toList();
    }

    /** Debian bookworm, minbase, with bash, python3, node, git and curl. */
    public static RootfsRecipe defaultImage(String mirror) {
        return new RootfsRecipe("bookworm", "minbase", DEFAULT_PACKAGES, mirror, debianArch());
    }

    public String key() {
        String canonical = "format=" + FORMAT + "\nsuite=" + suite + "\nvariant=" + variant + "\npackages="
                + String.join(",", packages) + "\nmirror=" + mirror + "\narch=" + arch + "\n";
        return Digest.of(canonical.getBytes(StandardCharsets.UTF_8)).hex().substring(0, 16);
    }

    static String debianArch() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> System.getProperty("os.arch");
        };
    }
}
