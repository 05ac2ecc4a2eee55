package ai.sandbox0.node.image;

import ai.sandbox0.node.Digest;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A real Distribution registry ({@code /usr/bin/docker-registry} from Debian) on a loopback port,
 * anonymous, with htpasswd (basic) auth, or with token auth against a token server run here.
 */
final class LocalRegistry implements AutoCloseable {

    enum Auth { ANONYMOUS, BASIC, TOKEN }

    static final Path BINARY = Path.of("/usr/bin/docker-registry");
    static final String USER = "tester";
    static final String PASSWORD = "s3cret";
    /** bcrypt (cost 4) of PASSWORD. */
    private static final String HTPASSWD = USER + ":$2b$04$bPmfKLaULGqMk3tHeGBtV.cC6wTBvwcGScIBftIeZvhfSMaComcD2\n";

    final String host;
    private final Process process;
    private final HttpServer tokenServer;
    private final PrivateKey tokenKey;
    private final String keyId;
    private final Auth auth;
    private final HttpClient http = HttpClient.newHttpClient();

    private LocalRegistry(String host, Process process, HttpServer tokenServer, PrivateKey tokenKey, String keyId, Auth auth) {
        this.host = host;
        this.process = process;
        this.tokenServer = tokenServer;
        this.tokenKey = tokenKey;
        this.keyId = keyId;
        this.auth = auth;
    }

    static LocalRegistry start(Path dir, Auth auth) throws Exception {
        if (!Files.isExecutable(BINARY)) {
            throw new AssertionError(BINARY + " is missing: apt-get install docker-registry (.ci/run installs it)");
        }
        Files.createDirectories(dir);
        int port = freePort();
        String authConfig = "";
        HttpServer tokenServer = null;
        PrivateKey key = null;
        String kid = null;
        switch (auth) {
            case ANONYMOUS -> { }
            case BASIC -> {
                Files.writeString(dir.resolve("htpasswd"), HTPASSWD);
                authConfig = "auth:\n  htpasswd:\n    realm: test\n    path: " + dir.resolve("htpasswd") + "\n";
            }
            case TOKEN -> {
                run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.resolve("key.pem").toString(),
                        "-out", dir.resolve("cert.pem").toString(), "-days", "2", "-subj", "/CN=test-issuer");
                key = readKey(dir.resolve("key.pem"));
                var cert = CertificateFactory.getInstance("X.509").generateCertificate(Files.newInputStream(dir.resolve("cert.pem")));
                kid = libtrustKeyId(cert.getPublicKey().getEncoded());
                tokenServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
                authConfig = "auth:\n  token:\n    realm: http://127.0.0.1:" + tokenServer.getAddress().getPort() + "/token\n"
                        + "    service: test-registry\n    issuer: test-issuer\n    rootcertbundle: " + dir.resolve("cert.pem") + "\n";
            }
        }
        Files.writeString(dir.resolve("config.yml"), "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                + "    rootdirectory: " + dir.resolve("data") + "\nhttp:\n  addr: 127.0.0.1:" + port + "\n" + authConfig);
        Process process = new ProcessBuilder(BINARY.toString(), "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        var registry = new LocalRegistry("127.0.0.1:" + port, process, tokenServer, key, kid, auth);
        if (tokenServer != null) {
            tokenServer.createContext("/token", registry::issueToken);
            tokenServer.start();
        }
        registry.awaitReady(dir);
        return registry;
    }

    private void awaitReady(Path dir) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("docker-registry exited: " + Files.readString(dir.resolve("registry.log")));
            }
            try {
                var r = http.send(HttpRequest.newBuilder(URI.create("http://" + host + "/v2/")).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200 || r.statusCode() == 401) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(50);
        }
        throw new AssertionError("docker-registry did not start: " + Files.readString(dir.resolve("registry.log")));
    }

    /** Pushes blobs, then each manifest by digest, then {@code top} under {@code tag}. */
    void push(String repository, String tag, List<TestImage> images, byte[] top, String topMediaType) throws Exception {
        String authorization = pushAuthorization(repository);
        for (TestImage image : images) {
            for (var blob : image.allBlobs().entrySet()) {
                putBlob(repository, blob.getKey(), blob.getValue(), authorization);
            }
            if (image.manifest != top) {
                putManifest(repository, Digest.of(image.manifest).toString(), image.manifest, OciDocuments.OCI_MANIFEST, authorization);
            }
        }
        putManifest(repository, tag, top, topMediaType, authorization);
    }

    /** Pushes a blob without any manifest (to build broken images by hand). */
    void putBlob(String repository, Digest digest, byte[] content, String authorization) throws Exception {
        var start = http.send(request("/v2/" + repository + "/blobs/uploads/", authorization)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        check(start, 202, "start upload");
        URI location = URI.create("http://" + host + "/").resolve(start.headers().firstValue("Location").orElseThrow());
        String sep = location.getQuery() == null ? "?" : "&";
        var put = http.send(withAuth(HttpRequest.newBuilder(URI.create(location + sep + "digest=" + digest)), authorization)
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(content)).build(), HttpResponse.BodyHandlers.ofString());
        check(put, 201, "upload blob " + digest);
    }

    void putManifest(String repository, String reference, byte[] manifest, String mediaType, String authorization)
            throws Exception {
        var put = http.send(request("/v2/" + repository + "/manifests/" + reference, authorization)
                .header("Content-Type", mediaType).PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build(),
                HttpResponse.BodyHandlers.ofString());
        check(put, 201, "put manifest " + reference);
    }

    String pushAuthorization(String repository) throws Exception {
        return switch (auth) {
            case ANONYMOUS -> null;
            case BASIC -> "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
            case TOKEN -> "Bearer " + token(USER, "repository:" + repository + ":pull,push");
        };
    }

    private HttpRequest.Builder request(String path, String authorization) {
        return withAuth(HttpRequest.newBuilder(URI.create("http://" + host + path)), authorization);
    }

    private static HttpRequest.Builder withAuth(HttpRequest.Builder b, String authorization) {
        return authorization == null ? b : b.header("Authorization", authorization);
    }

    private static void check(HttpResponse<String> response, int expected, String what) {
        if (response.statusCode() != expected) {
            throw new AssertionError(what + ": " + response.statusCode() + " " + response.body());
        }
    }

    /** The token endpoint: Basic login in, a JWT signed with the key the registry trusts out. */
    private void issueToken(com.sun.net.httpserver.HttpExchange exchange) throws IOException {
        String expected = "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        String given = exchange.getRequestHeaders().getFirst("Authorization");
        if (!expected.equals(given)) {
            exchange.sendResponseHeaders(401, -1);
            exchange.close();
            return;
        }
        String scope = "";
        String query = exchange.getRequestURI().getRawQuery();
        for (String param : query == null ? new String[0] : query.split("&")) {
            if (param.startsWith("scope=")) {
                scope = URLDecoder.decode(param.substring(6), StandardCharsets.UTF_8);
            }
        }
        byte[] body;
        try {
            body = ("{\"token\":\"" + token(USER, scope) + "\"}").getBytes(StandardCharsets.UTF_8);
        } catch (Exception e) {
            throw new IOException(e);
        }
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    private String token(String subject, String scope) throws Exception {
        var access = new ArrayList<String>();
        if (!scope.isEmpty()) {
            String[] parts = scope.split(":");
            String actions = String.join(",", List.of(parts[2].split(",")).stream().map(a -> "\"" + a + "\"").toList());
            access.add("{\"type\":\"" + parts[0] + "\",\"name\":\"" + parts[1] + "\",\"actions\":[" + actions + "]}");
        }
        long now = Instant.now().getEpochSecond();
        String header = "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"" + keyId + "\"}";
        String claims = "{\"iss\":\"test-issuer\",\"sub\":\"" + subject + "\",\"aud\":\"test-registry\",\"exp\":" + (now + 300)
                + ",\"nbf\":" + (now - 10) + ",\"iat\":" + now + ",\"jti\":\"" + System.nanoTime() + "\",\"access\":["
                + String.join(",", access) + "]}";
        var b64 = Base64.getUrlEncoder().withoutPadding();
        String signingInput = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        var signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(tokenKey);
        signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + b64.encodeToString(signature.sign());
    }

    /** docker/libtrust's key id: base32 of the first 240 bits of sha256(SPKI DER), in groups of four. */
    static String libtrustKeyId(byte[] spki) throws Exception {
        byte[] hash = java.util.Arrays.copyOf(java.security.MessageDigest.getInstance("SHA-256").digest(spki), 30);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var b32 = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : hash) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                b32.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        var groups = new ArrayList<String>();
        for (int i = 0; i < b32.length(); i += 4) {
            groups.add(b32.substring(i, i + 4));
        }
        return String.join(":", groups);
    }

    private static PrivateKey readKey(Path pem) throws Exception {
        String text = Files.readString(pem);
        String base64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }

    private static int freePort() throws IOException {
        try (var socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError(String.join(" ", command) + ": " + out);
        }
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        if (tokenServer != null) {
            tokenServer.stop(0);
        }
    }
}
