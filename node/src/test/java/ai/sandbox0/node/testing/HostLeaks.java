package ai.sandbox0.node.testing;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.node.NodeConfig;
import ai.sandbox0.node.runtime.CgroupLayout;
import ai.sandbox0.node.runtime.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Asserts that a node left nothing on the host, looking the way an operator would. */
public final class HostLeaks {

    private HostLeaks() {
    }

    /** What of this node the host still has, one line per leak. */
    public static List<String> of(NodeConfig config) throws IOException {
        var leaks = new java.util.ArrayList<String>();
        String name = config.name();
        HostCommand.Result runc = HostCommand.run(List.of(config.runtime().toString(), "--root",
                config.stateDir().resolve("runc").toString(), "list", "-q"));
        runc.stdout().lines().filter(l -> !l.isBlank()).forEach(l -> leaks.add("runc container " + l));
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            if (line.contains(config.stateDir().toString())) {
                leaks.add("mount " + line);
            }
        }
        HostCommand.run(List.of("losetup", "-a")).stdout().lines()
                .filter(l -> l.contains(config.stateDir().toString())).forEach(l -> leaks.add("loop device " + l));
        HostCommand.run(List.of("ip", "netns", "list")).stdout().lines()
                .filter(l -> l.startsWith(name + "-")).forEach(l -> leaks.add("netns " + l));
        HostCommand.run(List.of("ip", "-o", "link", "show")).stdout().lines()
                .map(l -> l.split(":\\s+")[1].split("@")[0])
                .filter(l -> l.matches(name + "v\\d+")).forEach(l -> leaks.add("link " + l));
        HostCommand.Result nft = HostCommand.run(List.of("nft", "list", "tables"));
        nft.stdout().lines().filter(l -> l.contains("sandbox0_" + name)).forEach(l -> leaks.add("nft " + l));
        CgroupLayout cg = CgroupLayout.detect(Path.of("/sys/fs/cgroup"));
        cg.dirs(config.cgroupParent()).forEach(d -> leaks.add("cgroup " + d));
        return leaks;
    }

    /** Asserts there are no leaks, then deletes the node's (now empty of mounts) state dir. */
    public static void assertNoneOf(NodeConfig config) throws IOException {
        assertThat(of(config)).as("leftovers of node " + config.name()).isEmpty();
        HostCommand.run(List.of("rm", "-rf", "--one-file-system", config.stateDir().toString()));
    }
}
