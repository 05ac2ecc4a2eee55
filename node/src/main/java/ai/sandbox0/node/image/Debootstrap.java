package ai.sandbox0.node.image;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Builds a Debian root filesystem with the host's debootstrap, then installs the recipe's apt packages with
 * apt-get in a chroot of it, reporting each line they print.
 */
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
        run("debootstrap", new ProcessBuilder(command), progress);
        if (!recipe.aptPackages().isEmpty()) {
            var install = new java.util.ArrayList<String>(List.of("apt-get", "install", "-y", "-q",
                    "--no-install-recommends"));
            install.addAll(recipe.aptPackages());
            // No daemons may start in a chroot; apt's own clean-up keeps the layer small.
            String script = "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d"
                    + " && apt-get update -q && " + String.join(" ", install) + " && apt-get clean"
                    + " && rm -f /usr/sbin/policy-rc.d";
            var chroot = new ProcessBuilder("chroot", target.toString(), "/bin/sh", "-c", script);
            chroot.environment().put("DEBIAN_FRONTEND", "noninteractive");
            chroot.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
            progress.report("apt: " + String.join(" ", install));
            run("apt-get install", chroot, progress);
        }
    }

    private static void run(String what, ProcessBuilder builder, ImageProgress progress) throws IOException {
        Process process = builder.redirectErrorStream(true).start();
        var tail = new ArrayDeque<String>();
        try (var out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                progress.report(what + ": " + line);
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
            throw new ImageException(what + ": interrupted", e);
        }
        if (exit != 0) {
            throw new ImageException(what + " exited with " + exit + "; last output:\n  " + String.join("\n  ", tail));
        }
    }
}
