package ai.sandbox0.node.image;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.RegistryCredentials;
import ai.sandbox0.node.blob.BlobStore;
import ai.sandbox0.node.blob.DigestMismatchException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pulls images over the Distribution v2 protocol: anonymous, basic or bearer-token auth (the
 * challenge in {@code WWW-Authenticate} says which), manifest lists and OCI indexes resolved to
 * one platform, redirects followed without leaking credentials to another host, and every
 * manifest, config and layer checked against its digest.
 */
public final class RegistryClient {

    private static final String ACCEPT = String.join(", ", OciDocuments.OCI_INDEX, OciDocuments.OCI_MANIFEST,
            OciDocuments.DOCKER_MANIFEST_LIST, OciDocuments.DOCKER_MANIFEST);
    private static final int MAX_MANIFEST = 4 << 20;
    private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private final HttpClient http;
    private final RegistryCredentials credentials;
    private final Set<String> plainHttpRegistries;
    private final OciDocuments.Platform platform;
    /** Authorization header values per registry and scope, learned from challenges. */
    private final Map<String, String> authorizations = new ConcurrentHashMap<>();

    /**
     * @param plainHttpRegistries registries spoken to over http (a local test registry); all others use https
     */
    public RegistryClient(HttpClient http, RegistryCredentials credentials, Set<String> plainHttpRegistries,
            OciDocuments.Platform platform) {
        this.http = http;
        this.credentials = credentials;
        this.plainHttpRegistries = Set.copyOf(plainHttpRegistries);
        this.platform = platform;
    }

    /** A client for this machine's platform with a default HTTP client. */
    public static RegistryClient forThisHost(RegistryCredentials credentials, Set<String> plainHttpRegistries) {
        var http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER).build();
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> System.getProperty("os.arch");
        };
        return new RegistryClient(http, credentials, plainHttpRegistries, new OciDocuments.Platform(arch, "linux", null));
    }

    /** Fetches the image's manifest (resolving an index to this platform) and stores config and layers. */
    public Image pull(RegistryReference ref, BlobStore blobs, ImageProgress progress) throws IOException {
        progress.report("pull " + ref + ": fetching manifest");
        OciDocuments.Manifest manifest = manifest(ref, ref.manifestReference(), ref.digest());
        if (manifest.isIndex()) {
            OciDocuments.Descriptor chosen = manifest.manifests().stream()
                    .filter(d -> d.platform() != null && platform.os().equals(d.platform().os())
                            && platform.architecture().equals(d.platform().architecture()))
                    .findFirst()
                    .orElseThrow(() -> new ImageException("pull " + ref + ": no manifest for " + platform.os() + "/"
                            + platform.architecture() + " in the index"));
            Digest digest = Digest.parse(chosen.digest());
            manifest = manifest(ref, digest.toString(), digest);
            if (manifest.isIndex()) {
                throw new ImageException("pull " + ref + ": nested index " + digest + " is not supported");
            }
        }
        return new ManifestImporter(blobs).importImage(ref.toString(), manifest,
                d -> blob(ref, Digest.parse(d.digest())), progress);
    }

    private OciDocuments.Manifest manifest(RegistryReference ref, String reference, Digest expected) throws IOException {
        var response = send(ref, "/manifests/" + reference, ACCEPT);
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(MAX_MANIFEST + 1);
        }
        if (body.length > MAX_MANIFEST) {
            throw new ImageException("pull " + ref + ": manifest larger than " + MAX_MANIFEST + " bytes");
        }
        Digest actual = Digest.of(body);
        if (expected != null && !expected.equals(actual)) {
            throw new DigestMismatchException(expected, actual, "pull " + ref + ": manifest");
        }
        String header = response.headers().firstValue("Docker-Content-Digest").orElse(null);
        if (expected == null && header != null && header.startsWith("sha256:") && !Digest.parse(header).equals(actual)) {
            throw new DigestMismatchException(Digest.parse(header), actual, "pull " + ref + ": manifest");
        }
        return OciDocuments.parse(body, OciDocuments.Manifest.class, "pull " + ref + ": manifest");
    }

    private InputStream blob(RegistryReference ref, Digest digest) throws IOException {
        return send(ref, "/blobs/" + digest, "*/*").body();
    }

    /** GET {@code /v2/<repo><path>} with auth negotiation and manual, credential-safe redirects. */
    private HttpResponse<InputStream> send(RegistryReference ref, String path, String accept) throws IOException {
        String scheme = plainHttpRegistries.contains(ref.registry()) ? "http" : "https";
        URI uri = URI.create(scheme + "://" + ref.apiHost() + "/v2/" + ref.repository() + path);
        String scope = "repository:" + ref.repository() + ":pull";
        String authKey = ref.registry() + " " + scope;
        boolean retried = false;
        for (int hops = 0; hops < 8; hops++) {
            var request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).header("Accept", accept).GET();
            boolean sameHost = uri.getHost().equals(URI.create(scheme + "://" + ref.apiHost()).getHost());
            String authorization = authorizations.get(authKey);
            if (authorization != null && sameHost) {
                request.header("Authorization", authorization);
            }
            HttpResponse<InputStream> response = exchange(request.build(), ref, path);
            int status = response.statusCode();
            if (status == 200) {
                return response;
            }
            response.body().close();
            if (status == 401 && sameHost && !retried) {
                String challenge = response.headers().firstValue("WWW-Authenticate").orElse("");
                authorizations.put(authKey, authorize(ref, challenge, scope));
                retried = true;
                continue;
            }
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                String location = response.headers().firstValue("Location")
                        .orElseThrow(() -> new ImageException("pull " + ref + ": redirect without Location for " + path));
                uri = uri.resolve(location);
                continue;
            }
            throw new ImageException("pull " + ref + ": GET " + path + " answered " + status
                    + (status == 401 ? " (credentials refused)" : status == 404 ? " (not found)" : ""));
        }
        throw new ImageException("pull " + ref + ": too many redirects for " + path);
    }

    /** Answers a challenge: Basic with the node's login, or Bearer with a token from the realm. */
    private String authorize(RegistryReference ref, String challenge, String scope) throws IOException {
        Optional<RegistryCredentials.Login> login = credentials.lookup(ref.registry());
        String scheme = challenge.strip().split("\\s+", 2)[0];
        if (scheme.equalsIgnoreCase("Basic")) {
            return basic(login.orElseThrow(() -> new ImageException("pull " + ref
                    + ": the registry wants a login and none is configured for " + ref.registry())));
        }
        if (!scheme.equalsIgnoreCase("Bearer")) {
            throw new ImageException("pull " + ref + ": unsupported auth challenge '" + scheme + "'");
        }
        var params = new LinkedHashMap<String, String>();
        Matcher m = CHALLENGE_PARAM.matcher(challenge);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(), m.group(2));
        }
        String realm = params.get("realm");
        if (realm == null) {
            throw new ImageException("pull " + ref + ": bearer challenge without realm");
        }
        var query = new StringBuilder();
        if (params.containsKey("service")) {
            query.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8)).append('&');
        }
        query.append("scope=").append(URLEncoder.encode(params.getOrDefault("scope", scope), StandardCharsets.UTF_8));
        var request = HttpRequest.newBuilder(URI.create(realm + (realm.contains("?") ? "&" : "?") + query))
                .timeout(Duration.ofSeconds(30)).GET();
        login.ifPresent(l -> request.header("Authorization", basic(l)));
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException("pull " + ref + ": interrupted while fetching a token", e);
        }
        if (response.statusCode() != 200) {
            throw new ImageException("pull " + ref + ": token service " + URI.create(realm).getHost() + " answered "
                    + response.statusCode() + (login.isEmpty() ? " (no login configured)" : " (login refused)"));
        }
        var token = OciDocuments.JSON.readTree(response.body());
        String value = token.hasNonNull("token") ? token.get("token").asText()
                : token.hasNonNull("access_token") ? token.get("access_token").asText() : null;
        if (value == null || value.isEmpty()) {
            throw new ImageException("pull " + ref + ": token service returned no token");
        }
        return "Bearer " + value;
    }

    private HttpResponse<InputStream> exchange(HttpRequest request, RegistryReference ref, String path) throws IOException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException("pull " + ref + ": interrupted during GET " + path, e);
        } catch (IOException e) {
            throw new ImageException("pull " + ref + ": GET " + path + " from " + request.uri().getHost() + ": " + e, e);
        }
    }

    private static String basic(RegistryCredentials.Login login) {
        return "Basic " + Base64.getEncoder().encodeToString(
                (login.username() + ":" + login.password()).getBytes(StandardCharsets.UTF_8));
    }
}
