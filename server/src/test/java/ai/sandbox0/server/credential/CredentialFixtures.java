package ai.sandbox0.server.credential;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Real certificates and keys for the tests, made by the host's openssl and OpenSSH ssh-keygen. */
final class CredentialFixtures {

    /** A self-signed client certificate and its private key, in PEM. */
    record CertificateAndKey(String certificatePem, String privateKeyPem) {
    }

    private final Path dir;
    private final AtomicInteger files = new AtomicInteger();

    CredentialFixtures(Path dir) {
        this.dir = dir;
    }

    /** {@code openssl req -x509 -newkey <algorithm>}: the key in PKCS#8 ({@code PRIVATE KEY}). */
    CertificateAndKey certificate(String algorithm, String commonName) throws IOException {
        Path key = file("key.pem");
        Path cert = file("cert.pem");
        var command = new ArrayList<>(List.of("openssl", "req", "-x509", "-newkey", algorithm, "-nodes", "-keyout",
                key.toString(), "-out", cert.toString(), "-subj", "/CN=" + commonName, "-days", "2"));
        if (algorithm.equals("ec")) {
            command.addAll(List.of("-pkeyopt", "ec_paramgen_curve:prime256v1"));
        }
        run(command);
        return new CertificateAndKey(Files.readString(cert), Files.readString(key));
    }

    /** The same key in OpenSSL's traditional form: PKCS#1 {@code RSA PRIVATE KEY} or SEC 1 {@code EC PRIVATE KEY}. */
    String traditional(String pkcs8Pem, String kind) throws IOException {
        Path in = write(pkcs8Pem);
        Path out = file("traditional.pem");
        // openssl ec writes SEC 1 by default; openssl rsa needs to be told to write PKCS#1.
        var command = new ArrayList<>(List.of("openssl", kind, "-in", in.toString(), "-out", out.toString()));
        if (kind.equals("rsa")) {
            command.add("-traditional");
        }
        run(command);
        return Files.readString(out);
    }

    /** The same key as an encrypted PKCS#8 block. */
    String encryptedPkcs8(String pkcs8Pem, String passphrase) throws IOException {
        Path in = write(pkcs8Pem);
        Path out = file("encrypted.pem");
        run(List.of("openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", in.toString(), "-out", out.toString(),
                "-passout", "pass:" + passphrase));
        return Files.readString(out);
    }

    /** {@code ssh-keygen -t type [-m format] -N passphrase}; format null: OpenSSH's own. */
    String sshKey(String type, String format, String passphrase) throws IOException {
        Path key = file("id");
        var command = new ArrayList<>(List.of("ssh-keygen", "-q", "-t", type, "-N", passphrase, "-C", "test",
                "-f", key.toString()));
        if (format != null) {
            command.addAll(List.of("-m", format));
        }
        run(command);
        return Files.readString(key);
    }

    private Path file(String name) {
        return dir.resolve(files.incrementAndGet() + "-" + name);
    }

    private Path write(String text) throws IOException {
        Path path = file("in.pem");
        Files.writeString(path, text);
        return path;
    }

    private static void run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(command.getFirst() + " did not finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }
}
