package ai.sandbox0.cli.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * What this host lacks to run sandboxes. Host paths and the PATH lookup come in through the
 * constructor, so the logic is testable without root or a real /proc.
 */
public final class HostCheck {

    /** Programs {@code s0 server} runs sandboxes with. */
    public static final List<HostRequirement> SERVER = List.of(
            new HostRequirement("runc", "runc", "starts each sandbox as an OCI container"),
            new HostRequirement("tini", "tini", "is PID 1 inside every sandbox"),
            new HostRequirement("debootstrap", "debootstrap", "builds the default Debian image"),
            new HostRequirement("ip", "iproute2", "creates each sandbox's network namespace and veth pair"),
            new HostRequirement("nft", "nftables", "isolates sandboxes from each other and the host, NATs their egress"),
            new HostRequirement("mkfs.ext4", "e2fsprogs", "formats each sandbox's disk, which bounds what it can write"),
            new HostRequirement("losetup", "mount", "backs each sandbox's disk with a loop device"),
            new HostRequirement("mkfs.btrfs", "btrfs-progs", "formats the btrfs pool that holds sandbox volumes"));

    /**
     * What the test suite drives besides the server's own needs: the REPL interpreters procd runs, a registry,
     * PostgreSQL (the tests start its cluster and make their role themselves), ssh-keygen.
     */
    public static final List<HostRequirement> TESTS = Stream.concat(SERVER.stream(), Stream.of(
            new HostRequirement("python3", "python3", "is the python REPL the tests drive"),
            new HostRequirement("node", "nodejs", "is the node REPL the tests drive and runs the official SDK"),
            new HostRequirement("npm", "npm", "installs the official SDK from e2e/package-lock.json"),
            new HostRequirement("docker-registry", "docker-registry", "is the registry the image pull tests push to"),
            new HostRequirement("openssl", "openssl", "makes the key the registry token-auth test signs with"),
            new HostRequirement("pg_ctlcluster", "postgresql", "is the PostgreSQL the store suites also run on"),
            new HostRequirement("ssh-keygen", "openssh-client", "makes the SSH keys the key tests register and checks"
                    + " their fingerprints")))
            .toList();

    /** Idmapped lower layers of overlayfs, which give each sandbox its own ids without a chown, came in 5.19. */
    static final int[] MIN_KERNEL = {5, 19};

    private final String osName;
    private final String kernelRelease;
    private final boolean root;
    private final Path procFilesystems;
    private final Function<String, Optional<Path>> which;

    /** @param kernelRelease as {@code uname -r} prints it, e.g. {@code 6.1.0-28-amd64} */
    public HostCheck(String osName, String kernelRelease, boolean root, Path procFilesystems,
            Function<String, Optional<Path>> which) {
        this.osName = osName;
        this.kernelRelease = kernelRelease;
        this.root = root;
        this.procFilesystems = procFilesystems;
        this.which = which;
    }

    /** The check for the machine this JVM runs on. */
    public static HostCheck ofThisHost() {
        return new HostCheck(System.getProperty("os.name"), System.getProperty("os.version"), isRoot(),
                Path.of("/proc/filesystems"), HostCheck::onPath);
    }

    public Report check(List<HostRequirement> requirements) {
        var problems = new ArrayList<String>();
        boolean linux = osName.toLowerCase().startsWith("linux");
        if (!linux) {
            problems.add("sandboxes need Linux (this is " + osName + ")");
        }
        if (linux && !kernelAtLeast(kernelRelease, MIN_KERNEL)) {
            problems.add("sandboxes need Linux " + MIN_KERNEL[0] + "." + MIN_KERNEL[1] + " or newer (each runs in a"
                    + " user namespace of its own over idmapped image layers); this kernel is " + kernelRelease);
        }
        if (!root) {
            problems.add("sandboxes need root (namespaces, cgroups, overlay mounts); run s0 server as root");
        }
        boolean overlay = linux && hasOverlayfs();
        if (linux && !overlay) {
            problems.add("the kernel has no overlayfs (load it with: modprobe overlay)");
        }
        var missing = new ArrayList<HostRequirement>();
        for (HostRequirement requirement : requirements) {
            if (which.apply(requirement.binary()).isEmpty()) {
                missing.add(requirement);
            }
        }
        return new Report(linux, root, overlay, List.copyOf(problems), List.copyOf(missing));
    }

    private boolean hasOverlayfs() {
        try {
            return Files.readAllLines(procFilesystems).stream()
                    .map(String::strip)
                    .anyMatch(line -> line.equals("overlay") || line.endsWith("\toverlay") || line.endsWith(" overlay"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether {@code release} ({@code 6.1.0-28-amd64}) is at least {@code major.minor}; unparsable is not. */
    static boolean kernelAtLeast(String release, int[] min) {
        var m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release == null ? "" : release);
        if (!m.find()) {
            return false;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major > min[0] || (major == min[0] && minor >= min[1]);
    }

    static Optional<Path> onPath(String binary) {
        String path = System.getenv().getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, binary);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0"); // effective uid
                }
            }
        } catch (IOException ignored) {
            // not Linux
        }
        return "root".equals(System.getProperty("user.name"));
    }

    /** The outcome: hard problems, and the programs an {@code apt-get install} would fix. */
    public record Report(boolean linux, boolean root, boolean overlayfs, List<String> problems,
            List<HostRequirement> missing) {

        public boolean ready() {
            return problems.isEmpty() && missing.isEmpty();
        }

        public List<String> missingPackages() {
            return missing.stream().map(HostRequirement::debianPackage).distinct().toList();
        }

        /** The exact command that installs what is missing. */
        public String installCommand() {
            return (root ? "" : "sudo ") + "apt-get install -y " + String.join(" ", missingPackages());
        }
    }
}
