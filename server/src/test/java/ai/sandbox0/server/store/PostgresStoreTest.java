package ai.sandbox0.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** PostgreSQL as the store: one server per database, and no credential in any message. */
class PostgresStoreTest {

    @Test
    void aSecondServerOnTheSameDatabaseIsRefusedUntilTheFirstCloses() {
        String url = TestDatabases.newPostgresDatabase();
        try (Database first = Database.openPostgres(url)) {
            first.holdExclusively();
            try (Database second = Database.openPostgres(url)) {
                assertThatThrownBy(second::holdExclusively).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("in use by another s0 server");
            }
        }
        try (Database later = Database.openPostgres(url)) {
            later.holdExclusively(); // the first one's session ended: its lock went with it
            assertThat(later.ping()).isTrue();
        }
    }

    @Test
    void aWrongPasswordOrHostIsNamedWithoutTheCredentials() {
        String wrong = TestDatabases.newPostgresDatabase().replace("password=sandbox0_test", "password=not-it-42");
        assertThatThrownBy(() -> Database.openPostgres(wrong)).hasMessageNotContaining("not-it-42")
                .hasMessageContaining("cannot connect to the PostgreSQL store at jdbc:postgresql://127.0.0.1:5432/");
        assertThatThrownBy(() -> Database.openPostgres("jdbc:mysql://x/y?password=p")).hasMessageNotContaining("password=p");
        assertThat(Database.redacted("jdbc:postgresql://u:pw@db:5432/s0?user=u&password=pw"))
                .isEqualTo("jdbc:postgresql://…@db:5432/s0?…");
    }

    @Test
    void aServerRestartedOnPostgresKeepsItsKeysAndTemplates(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String url = TestDatabases.newPostgresDatabase();
        String key;
        try (var server = ai.sandbox0.server.TestServer.start(dir, url)) {
            key = server.adminKey();
            var created = server.json("POST", "/api/v1/templates", """
                    {"template_id":"kept","spec":{"mainContainer":{"image":"default","resources":{"cpu":"1","memory":"4Gi"}}}}""");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            assertThat(java.nio.file.Files.exists(dir.resolve("sandbox0.db"))).as("no SQLite store beside it").isFalse();
        }
        try (var server = ai.sandbox0.server.TestServer.start(dir, url)) {
            var kept = server.get("/api/v1/templates/kept", "Authorization", "Bearer " + key);
            assertThat(kept.statusCode()).as(kept.body()).isEqualTo(200);
        }
    }
}
