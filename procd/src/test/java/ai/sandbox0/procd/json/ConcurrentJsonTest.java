package ai.sandbox0.procd.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Many requests at once, each on its own virtual thread: every body read and written is its own. */
class ConcurrentJsonTest {

    @Test
    void concurrentWritersNeverShareAnAnswer() throws Exception {
        List<Callable<String>> writes = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            String mine = "cmd-" + i + "-" + "x".repeat(i % 300);
            writes.add(() -> {
                JsonOut out = new JsonOut();
                out.begin().string("output_raw", mine);
                out.end();
                String written = new String(out.bytes(), StandardCharsets.UTF_8);
                return written.equals("{\"output_raw\":\"" + mine + "\"}") ? null : mine + " -> " + written;
            });
        }
        assertThat(mismatches(writes)).isEmpty();
    }

    @Test
    void concurrentReadersNeverShareAValue() throws Exception {
        List<Callable<String>> reads = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            String mine = "cmd-" + i + "-" + "y".repeat(i % 300);
            byte[] body = ("{\"a\":\"" + mine + "\"}").getBytes(StandardCharsets.UTF_8);
            reads.add(() -> {
                String[] read = new String[1];
                JsonIn.read(body, in -> {
                    in.object(o -> {
                        o.fields(name -> read[0] = o.string());
                        return null;
                    });
                    return null;
                });
                return mine.equals(read[0]) ? null : mine + " -> " + read[0];
            });
        }
        assertThat(mismatches(reads)).isEmpty();
    }

    private static List<String> mismatches(List<Callable<String>> tasks) throws Exception {
        var wrong = new ArrayList<String>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<String> f : pool.invokeAll(tasks)) {
                if (f.get() != null) {
                    wrong.add(f.get());
                }
            }
        }
        return wrong;
    }
}
