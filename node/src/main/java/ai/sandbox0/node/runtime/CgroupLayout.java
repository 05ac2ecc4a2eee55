package ai.sandbox0.node.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * How this host's cgroups are mounted. runc writes the limits itself from config.json; the node only
 * needs the layout to decide swap, to find a sandbox's cgroup dirs (reconcile, OOM diagnosis, PSS)
 * and to remove leftovers. The root comes in through the constructor so tests fake it in a temp dir.
 */
public sealed interface CgroupLayout {

    /** Legacy or hybrid: one hierarchy per controller under {@code root/<controller>}. */
    record V1(Path root, boolean swapAccounting) implements CgroupLayout {
        @Override
        public List<Path> dirs(String cgroupPath) {
            var out = new ArrayList<Path>();
            Set<Path> seen = new LinkedHashSet<>();
            try (Stream<Path> s = Files.list(root)) {
                for (Path h : s.sorted().toList()) {
                    // Includes the hybrid layout's "unified" v2 mount: runc makes a dir there too.
                    if (!Files.isDirectory(h)) {
                        continue;
                    }
                    Path dir = h.resolve(strip(cgroupPath));
                    try {
                        // cpu,cpuacct and its symlinks cpu and cpuacct are one hierarchy.
                        if (Files.isDirectory(dir) && seen.add(dir.toRealPath())) {
                            out.add(dir);
                        }
                    } catch (IOException ignored) {
                        // vanished meanwhile
                    }
                }
            } catch (IOException ignored) {
                // no cgroup fs: nothing to find
            }
            return out;
        }

        @Override
        public Optional<Long> oomKills(String cgroupPath) {
            return counter(root.resolve("memory").resolve(strip(cgroupPath)).resolve("memory.oom_control"), "oom_kill");
        }

        @Override
        public Path procs(String cgroupPath) {
            return root.resolve("pids").resolve(strip(cgroupPath)).resolve("cgroup.procs");
        }

        @Override
        public void setCpuQuota(String cgroupPath, long quota, long period) throws IOException {
            Files.writeString(root.resolve("cpu").resolve(strip(cgroupPath)).resolve("cpu.cfs_quota_us"),
                    Long.toString(quota));
        }

        @Override
        public void setCpuShares(String cgroupPath, long shares) throws IOException {
            Files.writeString(root.resolve("cpu").resolve(strip(cgroupPath)).resolve("cpu.shares"), Long.toString(shares));
        }
    }

    /** Unified: one hierarchy at the root. */
    record V2(Path root) implements CgroupLayout {
        @Override
        public List<Path> dirs(String cgroupPath) {
            Path dir = root.resolve(strip(cgroupPath));
            return Files.isDirectory(dir) ? List.of(dir) : List.of();
        }

        @Override
        public Optional<Long> oomKills(String cgroupPath) {
            return counter(root.resolve(strip(cgroupPath)).resolve("memory.events"), "oom_kill");
        }

        @Override
        public Path procs(String cgroupPath) {
            return root.resolve(strip(cgroupPath)).resolve("cgroup.procs");
        }

        @Override
        public void setCpuQuota(String cgroupPath, long quota, long period) throws IOException {
            Files.writeString(root.resolve(strip(cgroupPath)).resolve("cpu.max"), quota + " " + period);
        }

        @Override
        public void setCpuShares(String cgroupPath, long shares) throws IOException {
            Files.writeString(root.resolve(strip(cgroupPath)).resolve("cpu.weight"), Long.toString(weight(shares)));
        }

        /** v1 shares [2, 262144] to v2 weight [1, 10000], as runc converts them. */
        static long weight(long shares) {
            return 1 + ((Math.clamp(shares, 2, 262144) - 2) * 9999) / 262142;
        }
    }

    /** The existing dirs of this cgroup path, one per hierarchy. */
    List<Path> dirs(String cgroupPath);

    /** How often the OOM killer struck in this cgroup; empty when the kernel does not say. */
    Optional<Long> oomKills(String cgroupPath);

    /** The file listing the cgroup's processes. */
    Path procs(String cgroupPath);

    /** Changes the CFS quota of a running cgroup (same period as runc set). */
    void setCpuQuota(String cgroupPath, long quota, long period) throws IOException;

    /** Changes the CPU weight of a running cgroup, in v1 shares (v2 gets the weight runc would write). */
    void setCpuShares(String cgroupPath, long shares) throws IOException;

    /** v2 when the root is itself a cgroup2 mount, else v1 (swap limits only with memsw accounting). */
    static CgroupLayout detect(Path root) {
        if (Files.exists(root.resolve("cgroup.controllers"))) {
            return new V2(root);
        }
        return new V1(root, Files.exists(root.resolve("memory").resolve("memory.memsw.limit_in_bytes")));
    }

    /** The child cgroup dirs of a parent, per hierarchy: what reconcile walks. */
    default List<Path> children(String parentPath) {
        var out = new ArrayList<Path>();
        for (Path parent : dirs(parentPath)) {
            try (Stream<Path> s = Files.list(parent)) {
                s.filter(Files::isDirectory).sorted().forEach(out::add);
            } catch (IOException ignored) {
                // gone meanwhile
            }
        }
        return out;
    }

    private static String strip(String cgroupPath) {
        return cgroupPath.startsWith("/") ? cgroupPath.substring(1) : cgroupPath;
    }

    private static Optional<Long> counter(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] kv = line.trim().split("\\s+");
                if (kv.length == 2 && kv[0].equals(key)) {
                    return Optional.of(Long.parseLong(kv[1]));
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // no such counter on this kernel
        }
        return Optional.empty();
    }
}
