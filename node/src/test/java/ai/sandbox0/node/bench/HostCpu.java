package ai.sandbox0.node.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The host's CPU over a window, from {@code /proc/stat} (everything but idle and iowait), and who used it:
 * every thread's time on a CPU from {@code /proc/<pid>/task/<tid>/schedstat} (nanoseconds: the ticks of
 * {@code stat} miss the short wake-ups an idle process is made of), labelled as one of this node's sandboxes
 * (by cgroup), the node's own JVM (this process), or the rest of the host. Threads that started and ended
 * inside the window show in the host's total only.
 */
final class HostCpu {

    /** Clock ticks per second of {@code /proc/stat}: USER_HZ, 100 on every Linux build we run on. */
    private static final double HZ = 100;
    private static final double NANOS = 1e9;

    private final String cgroupMarker;
    private final long self = ProcessHandle.current().pid();

    /** @param cgroupParent the cgroup every sandbox of the node lives under, e.g. {@code /sandbox0-bench} */
    HostCpu(String cgroupParent) {
        this.cgroupMarker = cgroupParent + "/";
    }

    /** Whose CPU a share is: a label and its share of one core, in percent. */
    record Consumer(String label, double percentOfCore) {
    }

    /**
     * @param hostPercent host CPU as % of one core (100 = one core busy for the whole window)
     * @param sandboxPercent the node's sandboxes' threads
     * @param nodePercent the node's JVM (this process, the benchmark's thread asleep)
     * @param top the biggest consumers, sandboxes' threads grouped by process and thread name across sandboxes
     */
    record Window(double seconds, double hostPercent, double sandboxPercent, double nodePercent, List<Consumer> top) {
        double oursPercent() {
            return sandboxPercent + nodePercent;
        }
    }

    private record Snapshot(long nanos, long busy, Map<String, Long> nanosByTask, Map<String, String> labelByTask) {
    }

    /** Sleeps through {@code seconds} and says how busy the host was meanwhile. */
    Window measure(int seconds) throws IOException, InterruptedException {
        Snapshot a = snapshot();
        Thread.sleep(seconds * 1000L);
        Snapshot b = snapshot();
        double elapsed = (b.nanos - a.nanos) / 1e9;
        double host = 100 * (b.busy - a.busy) / HZ / elapsed;
        Map<String, Long> byLabel = new HashMap<>();
        long sandboxes = 0;
        long node = 0;
        for (var e : b.nanosByTask.entrySet()) {
            Long before = a.nanosByTask.get(e.getKey());
            if (before == null) {
                continue;
            }
            long d = e.getValue() - before;
            if (d <= 0) {
                continue;
            }
            String label = b.labelByTask.get(e.getKey());
            byLabel.merge(label, d, Long::sum);
            if (label.startsWith("sandboxes ")) {
                sandboxes += d;
            } else if (label.startsWith("node JVM ")) {
                node += d;
            }
        }
        List<Consumer> top = byLabel.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())).limit(8)
                .map(e -> new Consumer(e.getKey(), 100 * e.getValue() / NANOS / elapsed)).toList();
        return new Window(elapsed, host, 100 * sandboxes / NANOS / elapsed, 100 * node / NANOS / elapsed, top);
    }

    private Snapshot snapshot() throws IOException {
        Map<String, Long> ticks = new HashMap<>();
        Map<String, String> labels = new HashMap<>();
        long nanos = System.nanoTime();
        long busy = busyTicks();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                try {
                    String group = group(proc);
                    String processName = Files.readString(proc.resolve("comm")).strip();
                    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(proc.resolve("task"))) {
                        for (Path task : tasks) {
                            String thread = Files.readString(task.resolve("comm")).strip();
                            long t = Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]);
                            String key = proc.getFileName() + "/" + task.getFileName();
                            ticks.put(key, t);
                            labels.put(key, switch (group) {
                                case "sandboxes", "node JVM" -> group + " " + processName + "/" + thread;
                                default -> "host " + processName.replaceAll("[/:]\\d.*$", "");
                            });
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // the process ended while we read it
                }
            }
        }
        return new Snapshot(nanos, busy, ticks, labels);
    }

    private String group(Path proc) throws IOException {
        if (proc.getFileName().toString().equals(Long.toString(self))) {
            return "node JVM";
        }
        return Files.readString(proc.resolve("cgroup")).contains(cgroupMarker) ? "sandboxes" : "host";
    }

    /** All but idle and iowait, of the first line of /proc/stat (user nice system idle iowait irq softirq steal). */
    private static long busyTicks() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i <= 8 && i < f.length; i++) {
            if (i != 4 && i != 5) {
                busy += Long.parseLong(f[i]);
            }
        }
        return busy;
    }
}
