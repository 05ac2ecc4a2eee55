package ai.sandbox0.node.image;

import ai.sandbox0.node.Digest;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * How a builtin root filesystem is made: a debootstrap of {@code suite} with {@code variant} and
 * extra {@code packages} from {@code mirror} for {@code arch}, then {@code aptPackages} installed with
 * apt inside it (debootstrap's own resolver cannot configure some, npm's dependencies among them). Its
 * {@link #key()} names the build in the host's image cache, so a different recipe never reuses another's
 * result.
 */
public record RootfsRecipe(String suite, String variant, List<String> packages, List<String> aptPackages,
        String mirror, String arch) {

    /** Bumped when what the cache does to a built tree (the stripping) changes. */
    static final int FORMAT = 1;

    public static final List<String> DEFAULT_PACKAGES =
            List.of("python3", "nodejs", "ca-certificates", "curl", "git", "procps", "iproute2");
    /** What agents install with and build with: pip and venv, npm, a C and C++ toolchain. */
    public static final List<String> DEFAULT_APT_PACKAGES =
            List.of("python3-pip", "python3-venv", "npm", "gcc", "g++", "make", "libc6-dev");
    public static final String DEBIAN_MIRROR = "http://deb.debian.org/debian";

    public RootfsRecipe {
        packages = packages.stream().sorted().distinct().toList();
        aptPackages = aptPackages.stream().sorted().distinct().toList();
    }

    public RootfsRecipe(String suite, String variant, List<String> packages, String mirror, String arch) {
        this(suite, variant, packages, List.of(), mirror, arch);
    }

    /** Debian bookworm, minbase, with bash, python3 and pip, node and npm, git, curl, gcc, g++ and make. */
    public static RootfsRecipe defaultImage(String mirror) {
        return new RootfsRecipe("bookworm", "minbase", DEFAULT_PACKAGES, DEFAULT_APT_PACKAGES, mirror, debianArch());
    }

    /** Every package asked for, for messages. */
    public List<String> allPackages() {
        return java.util.stream.Stream.concat(packages.stream(), aptPackages.stream()).toList();
    }

    public String key() {
        String canonical = "format=" + FORMAT + "\nsuite=" + suite + "\nvariant=" + variant + "\npackages="
                + String.join(",", packages) + (aptPackages.isEmpty() ? "" : "\napt=" + String.join(",", aptPackages))
                + "\nmirror=" + mirror + "\narch=" + arch + "\n";
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
