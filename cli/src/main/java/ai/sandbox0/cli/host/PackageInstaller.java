package ai.sandbox0.cli.host;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Installs Debian packages with apt-get, showing apt's own progress. */
public final class PackageInstaller {

    private final PrintStream out;

    public PackageInstaller(PrintStream out) {
        this.out = out;
    }

    public static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/apt-get"));
    }

    /** Installs {@code packages}; refreshes the package lists once if apt cannot find one. */
    public boolean install(List<String> packages) {
        if (packages.isEmpty()) {
            return true;
        }
        out.println("Installing " + String.join(", ", packages) + " with apt-get…");
        if (run(aptGet("install", packages)) == 0) {
            return true;
        }
        out.println("Refreshing the package lists and trying again…");
        return run(aptGet("update", List.of())) == 0 && run(aptGet("install", packages)) == 0;
    }

    private static List<String> aptGet(String verb, List<String> packages) {
        var command = new ArrayList<>(List.of("apt-get", "-q", "-y"));
        if (verb.equals("install")) {
            command.add("--no-install-recommends");
        }
        command.add(verb);
        command.addAll(packages);
        return command;
    }

    private int run(List<String> command) {
        try {
            var builder = new ProcessBuilder(command).inheritIO();
            builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
            return builder.start().waitFor();
        } catch (IOException e) {
            out.println("cannot run " + command.getFirst() + ": " + e.getMessage());
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
