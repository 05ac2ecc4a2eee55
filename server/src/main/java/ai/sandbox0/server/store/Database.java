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
 * SQLite is the embedded default; PostgreSQL (for production and several replicas) has the same schema.
 */
public final class Database implements AutoCloseable {

    /** The advisory lock key of "the server driving this store" ('s0st'). */
    private static final long SERVER_LOCK = 0x73307374L;

    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    private final boolean postgres;
    private org.jdbi.v3.core.Handle lockHolder;

    private Database(HikariDataSource dataSource, boolean postgres) {
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(dataSource);
        this.postgres = postgres;
    }

    /**
     * Takes the store for this process: on PostgreSQL a session advisory lock held on a connection of its own
     * until {@link #close}; a second server on the same database fails here. (SQLite's file lives in the data
     * dir, which its own lock guards.)
     */
    public synchronized void holdExclusively() {
        if (!postgres || lockHolder != null) {
            return;
        }
        var handle = jdbi.open();
        boolean taken = handle.createQuery("SELECT pg_try_advisory_lock(:key)").bind("key", SERVER_LOCK)
                .mapTo(Boolean.class).one();
        if (!taken) {
            handle.close();
            throw new IllegalStateException("the store is in use by another s0 server: one server drives a store"
                    + " (several servers on one store come with several nodes)");
        }
        lockHolder = handle;
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
            return new Database(dataSource, false);
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
    }

    /**
     * Opens the PostgreSQL store at {@code jdbcUrl} ({@code jdbc:postgresql://host:port/db?user=…&password=…})
     * and brings its schema up to date. The URL may hold a password: it is never logged or put in an error.
     */
    public static Database openPostgres(String jdbcUrl) {
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("a PostgreSQL store URL starts with jdbc:postgresql:, got "
                    + redacted(jdbcUrl));
        }
        var pool = new HikariConfig();
        pool.setJdbcUrl(jdbcUrl);
        pool.setPoolName("store");
        pool.setMaximumPoolSize(16);
        pool.setMinimumIdle(2);
        pool.setConnectionTimeout(10_000);
        HikariDataSource dataSource;
        try {
            dataSource = new HikariDataSource(pool);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot connect to the PostgreSQL store at " + redacted(jdbcUrl) + ": "
                    + rootMessage(e), e);
        }
        try {
            migrate(dataSource);
            return new Database(dataSource, true);
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
    }

    /** The URL without its query (user and password live there) for messages and logs. */
    public static String redacted(String jdbcUrl) {
        int query = jdbcUrl.indexOf('?');
        String base = query < 0 ? jdbcUrl : jdbcUrl.substring(0, query) + "?…";
        return base.replaceAll("//[^/@]*@", "//…@");
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        String message = String.valueOf(t.getMessage());
        return message.contains("password") ? t.getClass().getSimpleName() + " (authentication)" : message;
    }

    private static void migrate(HikariDataSource dataSource) {
        Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .failOnMissingLocations(true)
                .load()
                .migrate();
    }

    /**
     * Whether {@code failure} is a unique index refusing a row (PostgreSQL's SQLSTATE 23505, SQLite's
     * SQLITE_CONSTRAINT_UNIQUE or _PRIMARYKEY): a concurrent writer won, which callers report as a conflict.
     */
    public static boolean isUniqueViolation(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException sql) {
                if ("23505".equals(sql.getSQLState())) {
                    return true;
                }
                if (t instanceof org.sqlite.SQLiteException lite) {
                    var code = lite.getResultCode();
                    return code == org.sqlite.SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE
                            || code == org.sqlite.SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY;
                }
            }
        }
        return false;
    }

    /**
     * Whether {@code failure} is a foreign key refusing a change (PostgreSQL's SQLSTATE 23503, SQLite's
     * SQLITE_CONSTRAINT_FOREIGNKEY): a row that another still references, which callers report as a conflict.
     */
    public static boolean isForeignKeyViolation(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException sql) {
                if ("23503".equals(sql.getSQLState())) {
                    return true;
                }
                if (t instanceof org.sqlite.SQLiteException lite) {
                    return lite.getResultCode() == org.sqlite.SQLiteErrorCode.SQLITE_CONSTRAINT_FOREIGNKEY;
                }
            }
        }
        return false;
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
    public synchronized void close() {
        if (lockHolder != null) {
            lockHolder.close(); // the session ends, and the advisory lock with it
            lockHolder = null;
        }
        dataSource.close();
    }
}
