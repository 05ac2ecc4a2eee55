package ai.sandbox0.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The server's store: one schema, migrated by Flyway on open, queried with plain SQL through JDBI.
 * SQLite is the embedded default; PostgreSQL comes in behind the same schema.
 */
public final class Database implements AutoCloseable {

    private final HikariDataSource dataSource;
    private final Jdbi jdbi;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(dataSource);
    }

    /** Opens (creating if needed) the SQLite store at {@code file} and brings its schema up to date. */
    public static Database openSqlite(Path file) {
        var sqlite = new SQLiteConfig();
        sqlite.setJournalMode(SQLiteConfig.JournalMode.WAL);
        // Every commit is on disk when it returns: a lifecycle transition survives a power cut (bench/store).
        sqlite.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        sqlite.setBusyTimeout(10_000);
        sqlite.enforceForeignKeys(true);
        // Writers take the lock when the transaction begins, so two writers queue on busy_timeout
        // instead of one failing with SQLITE_BUSY when it upgrades a read lock.
        sqlite.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        var source = new SQLiteDataSource(sqlite);
        source.setUrl("jdbc:sqlite:" + file.toAbsolutePath());

        var pool = new HikariConfig();
        pool.setDataSource(source);
        pool.setPoolName("store");
        pool.setMaximumPoolSize(8);
        pool.setMinimumIdle(1);
        pool.setConnectionTimeout(10_000);
        var dataSource = new HikariDataSource(pool);
        try {
            migrate(dataSource);
            return new Database(dataSource);
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
    }

    private static void migrate(HikariDataSource dataSource) {
        Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .failOnMissingLocations(true)
                .load()
                .migrate();
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /** True when a trivial query succeeds: the readiness probe. */
    public boolean ping() {
        try {
            return jdbi.withHandle(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one()) == 1;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
