package ai.sandbox0.server.service;

import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import ai.sandbox0.server.TestServer;
import java.io.File;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real browser on a sandbox's public URL: headless Chromium resolves {@code *.localhost} to loopback itself, so
 * it reaches the exposure listener by the URL the API reports, loads the app's page, and the page's script opens
 * a WebSocket back through the same route. What a user would see is checked twice: in the DOM and, read back by
 * OCR, in a screenshot.
 */
public class BrowserTest {

    private static final String ECHOED = "echo: hello from the browser";

    private static Path dataDir;
    private static Path scratch;
    private static TestServer server;
    private static String sandbox;
    private static String chromium;
    private static String tesseract;

    @BeforeAll
    static void start() throws Exception {
        chromium = onPath("chromium");
        tesseract = onPath("tesseract");
        dataDir = Files.createTempDirectory("s0-browser");
        scratch = Files.createTempDirectory("s0-browser-profile");
        server = TestServer.withSandboxes(dataDir);
        sandbox = ok(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\"}"), 201).get("sandbox_id").asText();
        String app;
        try (InputStream in = BrowserTest.class.getResourceAsStream("/exposure/app.js")) {
            app = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        ok(server.send(HttpRequest.newBuilder(server.uri("/api/v1/sandboxes/" + sandbox + "/files?path=/opt/app.js"))
                .POST(HttpRequest.BodyPublishers.ofString(app)),
                "Authorization", "Bearer " + server.adminKey(), "Content-Type", "application/octet-stream"), 200);
        ok(server.json("POST", "/api/v1/sandboxes/" + sandbox + "/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"node\",\"/opt/app.js\",\"8080\"]}}"), 201);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
            new ProcessBuilder("rm", "-rf", "--one-file-system", dataDir.toString()).start().waitFor();
        }
        if (scratch != null) {
            new ProcessBuilder("rm", "-rf", scratch.toString()).start().waitFor();
        }
    }

    /** A prerequisite the test cannot do without: missing is a failure, never a skip. */
    private static String onPath(String name) {
        for (String dir : System.getenv("PATH").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return fail(name + " is not installed (apt-get install " + ("tesseract".equals(name) ? "tesseract-ocr" : name)
                + "); BrowserTest needs it");
    }

    @Test
    void aBrowserShowsThePageAndItsWebSocketEchoThroughThePublicUrl() throws Exception {
        String publicUrl = ok(server.json("PUT", "/api/v1/sandboxes/" + sandbox + "/services",
                "{\"services\":[{\"id\":\"web\",\"port\":8080,\"ingress\":{\"public\":true}}]}"), 200)
                .get("services").get(0).get("public_url").asText();
        assertThat(URI.create(publicUrl).getHost()).endsWith(".localhost");
        String page = publicUrl + "/page";
        awaitPage(page);

        String dom = chromium("--virtual-time-budget=10000", "--dump-dom", page);
        assertThat(dom).contains("<p id=\"out\">" + ECHOED + "</p>");

        Path screenshot = scratch.resolve("page.png");
        chromium("--window-size=1000,400", "--virtual-time-budget=10000", "--screenshot=" + screenshot, page);
        assertThat(screenshot).isNotEmptyFile();
        String seen = run(Duration.ofSeconds(60), tesseract, screenshot.toString(), "stdout");
        assertThat(seen.replaceAll("\\s+", " ")).as("the screenshot read back by OCR").contains(ECHOED);
    }

    /** Until node in the sandbox serves the page (it needs a moment after its context starts). */
    private static void awaitPage(String page) throws Exception {
        var http = new org.eclipse.jetty.client.HttpClient();
        // Jetty's client, unlike Chromium, does not know *.localhost is loopback.
        http.setSocketAddressResolver((host, port, context, promise) ->
                promise.succeeded(List.of(new InetSocketAddress("127.0.0.1", port))));
        http.start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                ContentResponse r = http.newRequest(page).timeout(10, TimeUnit.SECONDS).send();
                if (r.getStatus() == 200 && r.getContentAsString().contains("sandbox page")) {
                    return;
                }
                assertThat(System.nanoTime()).as("the page answering (last: %d %s)", r.getStatus(),
                        r.getContentAsString()).isLessThan(deadline);
                Thread.sleep(100);
            }
        } finally {
            http.stop();
        }
    }

    /** Headless Chromium; root needs --no-sandbox. Its own profile dir so parallel runs never share one. */
    private static String chromium(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--user-data-dir=" + scratch.resolve("profile")));
        command.addAll(List.of(args));
        return run(Duration.ofSeconds(90), command.toArray(String[]::new));
    }

    private static String run(Duration limit, String... command) throws Exception {
        Path out = Files.createTempFile(scratch, "stdout", ".txt");
        Path err = Files.createTempFile(scratch, "stderr", ".txt");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor();
            fail(command[0] + " did not finish within " + limit + ": " + Files.readString(err));
        }
        assertThat(process.exitValue()).as("%s failed: %s", String.join(" ", command), Files.readString(err))
                .isZero();
        return Files.readString(out);
    }
}
