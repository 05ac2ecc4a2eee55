package ai.sandbox0.node.image;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;

/** Builds a Debian root filesystem with the host's debootstrap, reporting each line it prints. */
public final class Debootstrap implements RootfsBuilder {

    private final Path binary;

    public Debootstrap(Path binary) {
        this.binary = binary;
    }

    @Override
    public void build(RootfsRecipe recipe, Path target, ImageProgress progress) throws IOException {
        if (!Files.isExecutable(binary)) {
            throw new ImageException("debootstrap: " + binary + " is missing (apt-get install debootstrap)");
        }
        List<String> command = List.of(binary.toString(), "--variant=" + recipe.variant(),
                "--include=" + String.join(",", recipe.packages()), "--arch=" + recipe.arch(), recipe.suite(),
                target.toString(), recipe.mirror());
        progress.report("debootstrap: " + String.join(" ", command));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        var tail = new ArrayDeque<String>();
        try (var out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                progress.report("debootstrap: " + line);
                tail.addLast(line);
                if (tail.size() > 15) {
                    tail.removeFirst();
                }
            }
        } finally {
            process.getInputStream().close();
        }
        int exit;
        try {
            exit = process.waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ImageException("debootstrap: interrupted", e);
        }
        if (exit != 0) {
            throw new ImageException("debootstrap exited with " + exit + "; last output:\n  " + String.join("\n  ", tail));
        }
    }
}
