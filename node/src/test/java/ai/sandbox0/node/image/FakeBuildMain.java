package ai.sandbox0.node.image;

import ai.sandbox0.node.layer.Posix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A second process for the host image cache tests: builds the builtin image with a fake builder
 * that logs each build to a file and then waits {@code sleepMillis}, so two processes overlap and
 * one can be killed mid-build. Prints the layer digest.
 */
public final class FakeBuildMain {

    static final RootfsRecipe RECIPE = new RootfsRecipe("fake", "minbase", List.of("a", "b"), "http://mirror.invalid", "amd64");

    private FakeBuildMain() {
    }

    public static void main(String[] args) throws Exception {
        Path cacheRoot = Path.of(args[0]);
        Path buildLog = Path.of(args[1]);
        long sleepMillis = Long.parseLong(args[2]);
        var cache = new HostImageCache(cacheRoot, builder(buildLog, sleepMillis), MountTable.ofThisHost());
        System.out.println(cache.ensure(RECIPE, ImageProgress.NONE).layer().digest());
    }

    /** Writes a tiny root filesystem with what a debootstrap leaves that a sandbox must not get. */
    static RootfsBuilder builder(Path buildLog, long sleepMillis) {
        return (recipe, target, progress) -> {
            Files.writeString(buildLog, "build by " + ProcessHandle.current().pid() + "\n", StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            Files.createDirectories(target.resolve("etc"));
            Files.writeString(target.resolve("etc/hostname"), "build-host\n");
            Files.writeString(target.resolve("etc/resolv.conf"), "nameserver 10.1.2.3\n");
            Files.writeString(target.resolve("etc/os-release"), "ID=fake\n");
            Files.createDirectories(target.resolve("var/cache/apt/archives"));
            Files.writeString(target.resolve("var/cache/apt/archives/bash.deb"), "deb");
            Files.createDirectories(target.resolve("var/lib/apt/lists"));
            Files.createDirectories(target.resolve("var/log/apt"));
            Files.writeString(target.resolve("var/log/apt/history.log"), "installed");
            Files.createDirectories(target.resolve("dev"));
            Posix.mknodChar(target.resolve("dev/null"), 0666, 1, 3);
            Files.createDirectories(target.resolve("bin"));
            Files.writeString(target.resolve("bin/sh"), "#!fake\n");
            Files.createDirectories(target.resolve("tmp"));
            try {
                Thread.sleep(sleepMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }
}
