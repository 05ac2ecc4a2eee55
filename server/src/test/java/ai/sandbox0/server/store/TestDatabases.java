package ai.sandbox0.server.store;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.List;

/**
 * Stores for tests: SQLite in a directory, or a fresh database on the host's PostgreSQL (Debian's
 * {@code postgresql} package; the fixture starts its cluster and creates a test role when it has to, as
 * root, and fails loudly when it cannot — it never skips). Every test database is dropped on close.
 */
public final class TestDatabases {

    /** The stores the suites run on. */
    public enum Kind { SQLITE, POSTGRESQL }

    /** Where the tests find PostgreSQL; {@code S0_TEST_POSTGRES_URL} points elsewhere (a superuser's URL). */
    static final String ADMIN_URL = System.getenv().getOrDefault("S0_TEST_POSTGRES_URL",
            "jdbc:postgresql://127.0.0.1:5432/postgres?user=sandbox0_test&password=sandbox0_test");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static boolean ready;

    private TestDatabases() {
    }

    /** A store of {@code kind}; SQLite's file goes in {@code dir}. A PostgreSQL one is dropped by the next run. */
    public static Database open(Kind kind, Path dir) {
        return switch (kind) {
            case SQLITE -> Database.openSqlite(dir.resolve("store.db"));
            case POSTGRESQL -> Database.openPostgres(newPostgresDatabase());
        };
    }

    /** A fresh, empty database on the test server; its JDBC URL. */
    public static synchronized String newPostgresDatabase() {
        ensureServer();
        String name = "s0test_" + HexFormat.of().formatHex(RANDOM.generateSeed(6));
        try (Connection c = DriverManager.getConnection(ADMIN_URL)) {
            c.createStatement().execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new AssertionError("cannot create a test database on " + Database.redacted(ADMIN_URL) + ": " + e.getMessage(), e);
        }
        return ADMIN_URL.replaceFirst("/postgres\\?", "/" + name + "?");
    }

    /** Drops databases earlier runs left (a killed test JVM never closes them). */
    private static void dropLeftovers(Connection c) throws SQLException {
        var names = new java.util.ArrayList<String>();
        try (var rs = c.createStatement().executeQuery(
                "SELECT datname FROM pg_database WHERE datname LIKE 's0test\\_%' AND datname NOT IN "
                        + "(SELECT datname FROM pg_stat_activity WHERE datname IS NOT NULL)")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        for (String name : names) {
            c.createStatement().execute("DROP DATABASE IF EXISTS " + name);
        }
    }

    private static void ensureServer() {
        if (ready) {
            return;
        }
        try (Connection c = DriverManager.getConnection(ADMIN_URL)) {
            dropLeftovers(c);
            ready = true;
            dropAtExit();
            return;
        } catch (SQLException first) {
            if (System.getenv("S0_TEST_POSTGRES_URL") != null) {
                throw new AssertionError("PostgreSQL at " + Database.redacted(ADMIN_URL) + " refused: " + first.getMessage(), first);
            }
        }
        // The host's own cluster: start it and give the tests their role.
        run(List.of("sh", "-c", "pg_lsclusters -h | while read v c rest; do pg_ctlcluster $v $c start || true; done"));
        run(List.of("runuser", "-u", "postgres", "--", "psql", "-q", "-c",
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sandbox0_test') THEN "
                        + "CREATE ROLE sandbox0_test LOGIN SUPERUSER PASSWORD 'sandbox0_test'; END IF; END $$;"));
        try (Connection c = DriverManager.getConnection(ADMIN_URL)) {
            dropLeftovers(c);
            ready = true;
            dropAtExit();
        } catch (SQLException e) {
            throw new AssertionError("these tests need PostgreSQL (apt-get install postgresql; ./s0 test installs it):"
                    + " cannot reach " + Database.redacted(ADMIN_URL) + ": " + e.getMessage(), e);
        }
    }

    /** The test databases of this JVM whose stores were closed go when it ends. */
    private static void dropAtExit() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (Connection c = DriverManager.getConnection(ADMIN_URL)) {
                dropLeftovers(c);
            } catch (SQLException e) {
                // the next run drops them
            }
        }));
    }

    private static void run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new AssertionError("these tests need PostgreSQL (apt-get install postgresql): "
                        + String.join(" ", command) + " failed: " + out);
            }
        } catch (java.io.IOException e) {
            throw new AssertionError("these tests need PostgreSQL (apt-get install postgresql): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
