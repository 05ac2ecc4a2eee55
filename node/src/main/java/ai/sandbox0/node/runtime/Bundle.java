package ai.sandbox0.node.runtime;

import ai.sandbox0.api.Json;
import ai.sandbox0.node.layer.Posix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * An OCI bundle dir: config.json plus the small files the node writes for the sandbox (hostname, hosts,
 * resolv.conf), which are bind-mounted over the image's own so they never land in its layers.
 */
public record Bundle(Path dir) {

    public Path configJson() {
        return dir.resolve("config.json");
    }

    public Path etcDir() {
        return dir.resolve("etc");
    }

    /** The bind mounts of the generated /etc files. */
    public List<OciMount> etcMounts() {
        return List.of(
                OciMount.writableBind(etcDir().resolve("hostname"), "/etc/hostname"),
                OciMount.writableBind(etcDir().resolve("hosts"), "/etc/hosts"),
                OciMount.writableBind(etcDir().resolve("resolv.conf"), "/etc/resolv.conf"));
    }

    /** Writes the /etc files and config.json (atomically: a crash never leaves half a config). */
    public void write(ContainerConfig config, String sandboxAddress, List<String> nameservers) throws SetupException {
        try {
            Files.createDirectories(etcDir());
            Files.writeString(etcDir().resolve("hostname"), config.hostname() + "\n");
            Files.writeString(etcDir().resolve("hosts"), hosts(config.hostname(), sandboxAddress));
            Files.writeString(etcDir().resolve("resolv.conf"), resolvConf(nameservers));
            // The sandbox's root may edit its own copies.
            int root = (int) config.ids().hostBase();
            for (String name : List.of("hostname", "hosts", "resolv.conf")) {
                Posix.lchown(etcDir().resolve(name), root, root);
            }
            Path tmp = dir.resolve("config.json.tmp");
            // It holds procd's token: owner-only.
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(config.toOci()));
            Files.move(tmp, configJson(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new SetupException(Step.WRITE_BUNDLE, dir + ": " + e.getMessage(), e);
        }
    }

    static String hosts(String hostname, String address) {
        return "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                + (address == null ? "" : address + "\t" + hostname + "\n");
    }

    static String resolvConf(List<String> nameservers) {
        var sb = new StringBuilder();
        for (String ns : nameservers) {
            sb.append("nameserver ").append(ns).append('\n');
        }
        sb.append("options ndots:0\n");
        return sb.toString();
    }
}
