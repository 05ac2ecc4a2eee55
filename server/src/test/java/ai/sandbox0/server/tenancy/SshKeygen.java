package ai.sandbox0.server.tenancy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/** Real keys for the tests, made and fingerprinted by OpenSSH's own ssh-keygen (Debian's openssh-client). */
final class SshKeygen {

    /** A key pair on disk: the private key file and its {@code .pub} line. */
    record Pair(Path privateKey, String publicLine) {
        String privateText() throws IOException {
            return Files.readString(privateKey);
        }
    }

    private final Path dir;
    private final AtomicInteger files = new AtomicInteger();

    SshKeygen(Path dir) {
        this.dir = dir;
    }

    /** {@code ssh-keygen -t type [-b bits] -C comment}; bits 0 takes ssh-keygen's default. */
    Pair generate(String type, int bits, String comment) throws IOException {
        Path file = dir.resolve("key" + files.incrementAndGet());
        var command = new ArrayList<>(List.of("ssh-keygen", "-q", "-t", type, "-N", "", "-C", comment, "-f",
                file.toString()));
        if (bits > 0) {
            command.addAll(List.of("-b", Integer.toString(bits)));
        }
        run(command);
        return new Pair(file, Files.readString(file.resolveSibling(file.getFileName() + ".pub")).strip());
    }

    /** The SHA-256 fingerprint {@code ssh-keygen -lf} prints for {@code line}. */
    String fingerprint(String line) throws IOException {
        Path file = dir.resolve("line" + files.incrementAndGet() + ".pub");
        Files.writeString(file, line + "\n");
        // "<bits> SHA256:<base64> <comment> (<TYPE>)"
        return run(List.of("ssh-keygen", "-lf", file.toString())).split(" ")[1];
    }

    /**
     * A FIDO key's public line without a security key: the raw key of a plain ed25519 or nistp256 line, re-framed
     * as {@code sk-ssh-ed25519@openssh.com} or {@code sk-ecdsa-sha2-nistp256@openssh.com} with the usual
     * {@code ssh:} application, as {@code ssh-keygen -t ed25519-sk} would write it.
     */
    static String asSecurityKey(String plainLine, String comment) {
        Buffer plain = new ByteArrayBuffer(Base64.getDecoder().decode(plainLine.split(" ")[1]));
        var sk = new ByteArrayBuffer();
        String skType = switch (plain.getString()) {
            case "ssh-ed25519" -> "sk-ssh-ed25519@openssh.com";
            case "ecdsa-sha2-nistp256" -> "sk-ecdsa-sha2-nistp256@openssh.com";
            case String other -> throw new IllegalArgumentException("no security-key form of " + other);
        };
        sk.putString(skType);
        if (skType.startsWith("sk-ecdsa")) {
            sk.putString(plain.getString()); // the curve
        }
        sk.putBytes(plain.getBytes()); // the public key or point
        sk.putString("ssh:");
        return skType + " " + Base64.getEncoder().encodeToString(sk.getCompactData()) + " " + comment;
    }

    private static String run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(command + " did not finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(command + " failed: " + out);
        }
        return out;
    }
}
