package ai.sandbox0.procd.context;

import ai.sandbox0.api.sandbox.ResourceUsage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Resource usage of a process from /proc, and of the container from its memory cgroup (v2 or v1). */
final class UsageProbe {

    private static final long CLOCK_TICKS = 100; // USER_HZ is 100 on every Linux ABI procd targets

    private final Path proc;
    private final Path cgroup;

    UsageProbe(Path proc, Path cgroup) {
        this.proc = proc;
        this.cgroup = cgroup;
    }

    static ResourceUsage none() {
        return new ResourceUsage(0.0, 0L, 0L, 0, 0, null, null, null, 0L, 0L, 0L);
    }

    ResourceUsage of(int pid, boolean running) {
        long[] container = container();
        if (!running) {
            ResourceUsage n = none();
            return new ResourceUsage(n.cpuPercent(), n.memoryRss(), n.memoryVms(), n.openFiles(), n.threadCount(),
                    container[0], container[1], container[2], 0L, 0L, 0L);
        }
        Path p = proc.resolve(Integer.toString(pid));
        long rss = 0, vms = 0;
        int threads = 0;
        for (String line : lines(p.resolve("status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = kib(line);
            } else if (line.startsWith("VmSize:")) {
                vms = kib(line);
            } else if (line.startsWith("Threads:")) {
                threads = (int) number(line);
            }
        }
        double cpu = 0;
        try {
            String stat = Files.readString(p.resolve("stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime stime
            long start = Long.parseLong(f[19]);
            double uptime = Double.parseDouble(Files.readString(proc.resolve("uptime")).split(" ")[0]);
            double elapsed = uptime - (double) start / CLOCK_TICKS;
            cpu = elapsed > 0 ? 100.0 * ticks / CLOCK_TICKS / elapsed : 0;
        } catch (IOException | RuntimeException ignored) {
            // process gone between reads
        }
        long read = 0, written = 0;
        for (String line : lines(p.resolve("io"))) {
            if (line.startsWith("read_bytes:")) {
                read = number(line);
            } else if (line.startsWith("write_bytes:")) {
                written = number(line);
            }
        }
        int fds = 0;
        try (Stream<Path> s = Files.list(p.resolve("fd"))) {
            fds = (int) s.count();
        } catch (IOException | RuntimeException ignored) {
            // not permitted or gone
        }
        return new ResourceUsage(Math.round(cpu * 100) / 100.0, rss, vms, fds, threads,
                container[0], container[1], container[2], read, written, rss);
    }

    /** {usage, limit, working set}; nulls when there is no memory cgroup to read. */
    private long[] container() {
        Path v2 = cgroup.resolve("memory.current");
        if (Files.exists(v2)) {
            long usage = firstNumber(v2);
            String max = read(cgroup.resolve("memory.max")).trim();
            long limit = max.equals("max") || max.isEmpty() ? 0 : Long.parseLong(max);
            return new long[] {usage, limit, usage - statValue(cgroup.resolve("memory.stat"), "inactive_file")};
        }
        Path v1 = cgroup.resolve("memory");
        if (Files.exists(v1.resolve("memory.usage_in_bytes"))) {
            long usage = firstNumber(v1.resolve("memory.usage_in_bytes"));
            long limit = firstNumber(v1.resolve("memory.limit_in_bytes"));
            if (limit >= Long.MAX_VALUE / 2) {
                limit = 0; // "unlimited" is a huge page-aligned number in v1
            }
            return new long[] {usage, limit, usage - statValue(v1.resolve("memory.stat"), "total_inactive_file")};
        }
        return new long[] {0, 0, 0};
    }

    private static long statValue(Path stat, String key) {
        for (String line : lines(stat)) {
            if (line.startsWith(key + " ")) {
                return Long.parseLong(line.substring(key.length() + 1).trim());
            }
        }
        return 0;
    }

    private static long firstNumber(Path p) {
        try {
            return Long.parseLong(read(p).trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static java.util.List<String> lines(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException | RuntimeException e) {
            return java.util.List.of();
        }
    }

    private static long kib(String line) {
        return number(line) * 1024;
    }

    private static long number(String line) {
        String digits = line.replaceAll("[^0-9]", "");
        return digits.isEmpty() ? 0 : Long.parseLong(digits);
    }
}
