package ai.sandbox0.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.server.BlobStorage;
import ai.sandbox0.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerSettingsTest {

    @TempDir
    Path dir;

    @Test
    void defaultsDependOnWhetherWeAreRoot() {
        ServerConfig root = ServerSettings.resolve(Map.of(), Map.of(), null, true, null);
        assertThat(root.dataDir()).isEqualTo(Path.of("/var/lib/sandbox0"));
        assertThat(root.listen().getHostString()).isEqualTo("127.0.0.1");
        assertThat(root.listen().getPort()).isEqualTo(7600);
        assertThat(root.region()).isEqualTo("local");

        ServerConfig user = ServerSettings.resolve(Map.of(), Map.of(), null, false, null);
        assertThat(user.dataDir()).isEqualTo(Path.of(System.getProperty("user.home"), ".sandbox0"));
    }

    @Test
    void flagBeatsEnvironmentBeatsConfigFileBeatsDefault() throws Exception {
        Path config = Files.writeString(dir.resolve("s0.yaml"), """
                data-dir: /from/file
                listen: 0.0.0.0:9000
                region: file-region
                """);
        var env = Map.of("SANDBOX0_LISTEN", "127.0.0.1:8000", "SANDBOX0_REGION", "env-region");
        var flags = Map.of("region", "flag-region");

        ServerConfig resolved = ServerSettings.resolve(flags, env, config, true, null);

        assertThat(resolved.region()).isEqualTo("flag-region");
        assertThat(resolved.listen().getPort()).isEqualTo(8000);
        assertThat(resolved.dataDir()).isEqualTo(Path.of("/from/file"));
    }

    @Test
    void configFileCanComeFromTheEnvironment() throws Exception {
        Path config = Files.writeString(dir.resolve("s0.yaml"), "region: eu-1\n");

        assertThat(ServerSettings.resolve(Map.of(), Map.of("SANDBOX0_CONFIG", config.toString()), null, true, null).region())
                .isEqualTo("eu-1");
    }

    @Test
    void oidcProvidersComeFromTheConfigFileTheirSecretsAlsoFromTheEnvironment() throws Exception {
        Path config = Files.writeString(dir.resolve("oidc.yaml"), """
                public-url: https://sandbox0.example.com
                oidc-providers:
                  - id: corp-sso
                    name: Corporate SSO
                    issuer: https://sso.example.com/realms/main/.well-known/openid-configuration
                    client-id: sandbox0
                    client-secret: from-file
                    auto-provision: true
                  - id: google
                    issuer: https://accounts.google.com
                    client-id: g-client
                    scopes: [openid, email]
                """);
        ServerConfig resolved = ServerSettings.resolve(Map.of(), Map.of("SANDBOX0_OIDC_GOOGLE_CLIENT_SECRET", "from-env"),
                config, true, null);

        var identity = resolved.identity();
        assertThat(resolved.publicUrl()).hasToString("https://sandbox0.example.com");
        assertThat(identity.oidcProviders()).hasSize(2);
        var corp = identity.oidcProviders().get(0);
        assertThat(corp.id()).isEqualTo("corp-sso");
        assertThat(corp.name()).isEqualTo("Corporate SSO");
        assertThat(corp.issuer()).hasToString("https://sso.example.com/realms/main");
        assertThat(corp.clientSecret()).isEqualTo("from-file");
        assertThat(corp.scopes()).containsExactly("openid", "email", "profile");
        assertThat(corp.autoProvision()).isTrue();
        var google = identity.oidcProviders().get(1);
        assertThat(google.name()).isEqualTo("google");
        assertThat(google.clientSecret()).isEqualTo("from-env");
        assertThat(google.scopes()).containsExactly("openid", "email");
        assertThat(google.autoProvision()).isNull();
        assertThat(identity.toString()).doesNotContain("from-file").doesNotContain("from-env");

        Path unknown = Files.writeString(dir.resolve("bad.yaml"), """
                oidc-providers:
                  - id: x
                    issuer: https://x.example.com
                    client-id: c
                    clientSecret: oops
                """);
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of(), Map.of(), unknown, true, null))
                .hasMessageContaining("unknown setting 'clientSecret'").hasMessageContaining("client-secret");
        Path noIssuer = Files.writeString(dir.resolve("none.yaml"), "oidc-providers:\n  - id: x\n    client-id: c\n");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of(), Map.of(), noIssuer, true, null))
                .hasMessageContaining("oidc-providers 'x': issuer is required");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("public-url", "sandbox0.example.com"), Map.of(), null,
                true, null)).hasMessageContaining("public-url must be an absolute http(s) URL");
    }

    @Test
    void configFileMistakesAreReportedNotIgnored() throws Exception {
        Path typo = Files.writeString(dir.resolve("typo.yaml"), "datadir: /x\n");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of(), Map.of(), typo, true, null))
                .hasMessageContaining("unknown setting 'datadir'").hasMessageContaining("data-dir");

        Path nested = Files.writeString(dir.resolve("nested.yaml"), "listen:\n  port: 1\n");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of(), Map.of(), nested, true, null))
                .hasMessageContaining("'listen' must be a single value");

        assertThatThrownBy(() -> ServerSettings.resolve(Map.of(), Map.of(), dir.resolve("missing.yaml"), true, null))
                .hasMessageContaining("does not exist");
    }

    @Test
    void invalidValuesAreExplained() {
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("listen", "7600"), Map.of(), null, true, null))
                .hasMessageContaining("host:port");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("listen", "localhost:http"), Map.of(), null, true, null))
                .hasMessageContaining("port must be a number");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("region", "EU_1"), Map.of(), null, true, null))
                .hasMessageContaining("region must be a lowercase DNS label");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("sandbox-uid-base", "1000"), Map.of(), null, true, null))
                .hasMessageContaining("sandbox-uid-base must be a host uid from 65536 up");
    }

    @Test
    void theStoreIsSqliteInTheDataDirUnlessAPostgresUrlIsGiven() {
        assertThat(ServerSettings.resolve(Map.of(), Map.of(), null, true, null).databaseUrl()).isNull();
        String url = "jdbc:postgresql://db:5432/s0?user=s0&password=secret";
        ServerConfig pg = ServerSettings.resolve(Map.of(), Map.of("SANDBOX0_DATABASE_URL", url), null, true, null);
        assertThat(pg.databaseUrl()).isEqualTo(url);
        assertThat(pg.storeDescription()).isEqualTo("PostgreSQL jdbc:postgresql://db:5432/s0?…").doesNotContain("secret");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("database-url", "postgres://db/s0"), Map.of(), null, true, null))
                .hasMessageContaining("database-url must be a PostgreSQL JDBC URL").hasMessageNotContaining("postgres://db");
    }

    @Test
    void blobsStayInTheDataDirUnlessAnS3BucketIsGiven() throws Exception {
        assertThat(ServerSettings.resolve(Map.of(), Map.of(), null, true, null).blobStorage())
                .isEqualTo(new BlobStorage.Local());

        Path config = Files.writeString(dir.resolve("s0.yaml"), """
                blob-store: s3://layers/team-a/
                s3-region: eu-west-1
                s3-access-key-id: AKIDFROMFILE
                s3-secret-access-key: secret-from-file
                """);
        var flags = Map.of("s3-endpoint", "http://127.0.0.1:9000", "s3-path-style", "true");
        var s3 = (BlobStorage.S3) ServerSettings.resolve(flags, Map.of("SANDBOX0_S3_REGION", "us-west-2"), config, true,
                null).blobStorage();

        assertThat(s3.bucket()).isEqualTo("layers");
        assertThat(s3.prefix()).isEqualTo("team-a/");
        assertThat(s3.endpoint()).hasToString("http://127.0.0.1:9000");
        assertThat(s3.region()).isEqualTo("us-west-2");
        assertThat(s3.pathStyle()).isTrue();
        assertThat(s3.accessKeyId()).isEqualTo("AKIDFROMFILE");
        assertThat(s3.secretAccessKey()).isEqualTo("secret-from-file");
        assertThat(s3.description()).isEqualTo("S3 s3://layers/team-a/ at http://127.0.0.1:9000, region us-west-2,"
                + " path-style, credentials from the configuration");
        assertThat(s3.toString()).doesNotContain("secret-from-file").doesNotContain("AKIDFROMFILE");

        var bare = (BlobStorage.S3) ServerSettings.resolve(Map.of("blob-store", "s3://layers"), Map.of(), null, true, null)
                .blobStorage();
        assertThat(bare.prefix()).isEmpty();
        assertThat(bare.accessKeyId()).isNull();
        assertThat(bare.description()).contains("credentials from the AWS SDK's default chain");
    }

    @Test
    void s3MistakesAreExplainedWithoutTheSecret() {
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("blob-store", "gs://layers"), Map.of(), null, true, null))
                .hasMessageContaining("blob-store must be local or s3://BUCKET[/PREFIX]");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("blob-store", "s3://Layers_1"), Map.of(), null, true, null))
                .hasMessageContaining("not an S3 bucket name");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("s3-endpoint", "http://127.0.0.1:9000"), Map.of(), null,
                true, null)).hasMessageContaining("s3-endpoint is set but blob-store is not an S3 bucket");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("blob-store", "s3://layers", "s3-endpoint", "127.0.0.1:9000"),
                Map.of(), null, true, null)).hasMessageContaining("s3-endpoint must be an http(s) URL");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("blob-store", "s3://layers", "s3-path-style", "maybe"),
                Map.of(), null, true, null)).hasMessageContaining("s3-path-style must be true or false");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("blob-store", "s3://layers"),
                Map.of("SANDBOX0_S3_SECRET_ACCESS_KEY", "hush"), null, true, null))
                .hasMessageContaining("s3-access-key-id and s3-secret-access-key go together").hasMessageNotContaining("hush");
    }

    @Test
    void sandboxUidsStartAt2To30UnlessAnotherServerOnTheHostNeedsOtherRanges() {
        assertThat(ServerSettings.resolve(Map.of(), Map.of(), null, true, null).sandboxes().firstHostId())
                .isEqualTo(1L << 30);
        assertThat(ServerSettings.resolve(Map.of(), Map.of("SANDBOX0_SANDBOX_UID_BASE", "2147483648"), null, true, null)
                .sandboxes().firstHostId()).isEqualTo(1L << 31);
    }

    @Test
    void theVolumePoolIs64GiUnlessSetAndAtLeast1Gi() throws Exception {
        assertThat(ServerSettings.resolve(Map.of(), Map.of(), null, true, null).sandboxes().volumePoolBytes())
                .isEqualTo(64L << 30);
        Path config = Files.writeString(dir.resolve("pool.yaml"), "volume-pool-size: 8Gi\n");
        assertThat(ServerSettings.resolve(Map.of(), Map.of(), config, true, null).sandboxes().volumePoolBytes())
                .isEqualTo(8L << 30);
        assertThat(ServerSettings.resolve(Map.of(), Map.of("SANDBOX0_VOLUME_POOL_SIZE", "2Ti"), config, true, null)
                .sandboxes().volumePoolBytes()).isEqualTo(2L << 40);
        assertThat(ServerSettings.resolve(Map.of("volume-pool-size", "1Gi"), Map.of("SANDBOX0_VOLUME_POOL_SIZE", "2Ti"),
                config, true, null).sandboxes().volumePoolBytes()).isEqualTo(1L << 30);
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("volume-pool-size", "100Mi"), Map.of(), null, true, null))
                .hasMessageContaining("volume-pool-size must be a size of at least 1Gi");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("volume-pool-size", "lots"), Map.of(), null, true, null))
                .hasMessageContaining("volume-pool-size must be a size of at least 1Gi (e.g. 64Gi), got 'lots'");
    }

    @Test
    void volumesAreSealedEvery30SecondsUnlessSet() throws Exception {
        assertThat(ServerSettings.resolve(Map.of(), Map.of(), null, true, null).sandboxes().volumeSealInterval())
                .isEqualTo(java.time.Duration.ofSeconds(30));
        Path config = Files.writeString(dir.resolve("seal.yaml"), "volume-seal-interval: 10\n");
        assertThat(ServerSettings.resolve(Map.of(), Map.of(), config, true, null).sandboxes().volumeSealInterval())
                .isEqualTo(java.time.Duration.ofSeconds(10));
        assertThat(ServerSettings.resolve(Map.of("volume-seal-interval", "5"),
                Map.of("SANDBOX0_VOLUME_SEAL_INTERVAL", "60"), config, true, null).sandboxes().volumeSealInterval())
                .isEqualTo(java.time.Duration.ofSeconds(5));
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("volume-seal-interval", "0"), Map.of(), null, true, null))
                .hasMessageContaining("volume-seal-interval must be at least 1 second");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("volume-seal-interval", "soon"), Map.of(), null, true,
                null)).hasMessageContaining("volume-seal-interval");
    }

    @Test
    void startsAreBoundedByTwiceTheCpusAndFiveSecondsOfWaitUnlessSet() throws Exception {
        var defaults = ServerSettings.resolve(Map.of(), Map.of(), null, true, null).sandboxes();
        assertThat(defaults.concurrentStarts()).isEqualTo(Math.max(2, Runtime.getRuntime().availableProcessors() * 2));
        assertThat(defaults.maxStartWait()).isEqualTo(java.time.Duration.ofSeconds(5));
        Path config = Files.writeString(dir.resolve("starts.yaml"), "max-concurrent-starts: 3\nmax-start-wait: 20\n");
        var fromFile = ServerSettings.resolve(Map.of(), Map.of(), config, true, null).sandboxes();
        assertThat(fromFile.concurrentStarts()).isEqualTo(3);
        assertThat(fromFile.maxStartWait()).isEqualTo(java.time.Duration.ofSeconds(20));
        var flags = ServerSettings.resolve(Map.of("max-start-wait", "0"), Map.of("SANDBOX0_MAX_CONCURRENT_STARTS", "1"),
                config, true, null).sandboxes();
        assertThat(flags.concurrentStarts()).isEqualTo(1);
        assertThat(flags.maxStartWait()).isZero();
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("max-concurrent-starts", "0"), Map.of(), null, true, null))
                .hasMessageContaining("max-concurrent-starts must be a whole number >= 1, got '0'");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("max-start-wait", "-1"), Map.of(), null, true, null))
                .hasMessageContaining("max-start-wait must be a number of seconds >= 0, got '-1'");
    }

    @Test
    void listenAcceptsAllInterfacesAndIpv6() {
        assertThat(ServerConfig.parseListen(":7600").getAddress().isAnyLocalAddress()).isTrue();
        assertThat(ServerConfig.parseListen("[::1]:7600").getHostString()).isEqualTo("::1");
    }

    @Test
    void publicUrlIsAnAbsoluteHttpUrlFromAnySource() throws Exception {
        assertThat(ServerSettings.resolve(Map.of(), Map.of(), null, true, null).publicUrl()).isNull();
        assertThat(ServerSettings.resolve(Map.of("public-url", "https://S0.example.com/"), Map.of(), null, true, null)
                .publicUrl()).hasToString("https://S0.example.com");
        assertThat(ServerSettings.resolve(Map.of(), Map.of("SANDBOX0_PUBLIC_URL", "http://10.0.0.5:7600/s0/"), null,
                true, null).publicUrl()).hasToString("http://10.0.0.5:7600/s0");
        Path config = Files.writeString(dir.resolve("s0.yaml"), "public-url: https://eu.example.com\n");
        assertThat(ServerSettings.resolve(Map.of(), Map.of(), config, true, null).publicUrl())
                .hasToString("https://eu.example.com");

        for (String bad : new String[] {"s0.example.com", "ftp://s0.example.com", "/relative", "https://", "http:// x"}) {
            assertThatThrownBy(() -> ServerSettings.resolve(Map.of("public-url", bad), Map.of(), null, true, null))
                    .as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("public-url must be an absolute http(s) URL");
        }
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("public-url", "https://s0.example.com/?a=b"), Map.of(),
                null, true, null)).hasMessageContaining("must not have a query");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("public-url", "https://me:hunter2@s0.example.com"),
                Map.of(), null, true, null)).hasMessageContaining("must not contain credentials")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void privateRangesDefaultToTheLanAndCanBeOpened() {
        assertThat(ServerSettings.resolve(Map.of(), Map.of(), null, true, null).sandboxes().privateRanges())
                .contains("10.0.0.0/8", "192.168.0.0/16", "100.64.0.0/10");
        assertThat(ServerSettings.resolve(Map.of("sandbox-private-ranges", "none"), Map.of(), null, true, null)
                .sandboxes().privateRanges()).isEmpty();
        assertThat(ServerSettings.resolve(Map.of(), Map.of("SANDBOX0_SANDBOX_PRIVATE_RANGES", "10.0.0.0/8, fd00::/8"), null,
                true, null).sandboxes().privateRanges()).containsExactly("10.0.0.0/8", "fd00::/8");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("sandbox-private-ranges", "10.0.0.0/8,lan"), Map.of(),
                null, true, null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'lan' is not a CIDR");
    }

    @Test
    void servicesKeepRateLimitsInMemoryAndServeCleartextUnlessConfigured() throws Exception {
        ServerConfig.Exposure defaults = ServerSettings.resolve(Map.of(), Map.of(), null, true, null).exposure();
        assertThat(defaults.rateLimitRedisUrl()).isNull();
        assertThat(defaults.tls()).isNull();

        Path config = Files.writeString(dir.resolve("services.yaml"), """
                exposure-redis-url: redis://:file-secret@cache.internal:6380/1
                exposure-tls-cert: /etc/sandbox0/tls/tls.crt
                exposure-tls-key: /etc/sandbox0/tls/tls.key
                """);
        ServerConfig resolved = ServerSettings.resolve(Map.of("exposure-tls-key", "/run/key.pem"),
                Map.of("SANDBOX0_EXPOSURE_REDIS_URL", "rediss://:env-secret@redis.example.com"), config, true, null);
        assertThat(resolved.exposure().rateLimitRedisUrl()).isEqualTo("rediss://:env-secret@redis.example.com");
        assertThat(resolved.exposure().tls().certificateChain()).isEqualTo(Path.of("/etc/sandbox0/tls/tls.crt"));
        assertThat(resolved.exposure().tls().privateKey()).isEqualTo(Path.of("/run/key.pem"));
        assertThat(resolved.toString()).doesNotContain("env-secret").contains("rediss://redis.example.com:6379/0");
    }

    @Test
    void servicesMistakesAreExplainedWithoutThePassword() {
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of("exposure-tls-cert", "/tls.crt"), Map.of(), null, true,
                null)).hasMessageContaining("exposure-tls-cert and exposure-tls-key go together");
        assertThatThrownBy(() -> ServerSettings.resolve(Map.of(),
                Map.of("SANDBOX0_EXPOSURE_REDIS_URL", "http://:hunter2@cache:6379"), null, true, null))
                .hasMessageContaining("exposure-redis-url").hasMessageContaining("redis://")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
    }
}
