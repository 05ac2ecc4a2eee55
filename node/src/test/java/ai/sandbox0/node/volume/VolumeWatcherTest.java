package ai.sandbox0.node.volume;

import static ai.sandbox0.api.file.WatchEventKind.CHMOD;
import static ai.sandbox0.api.file.WatchEventKind.CREATE;
import static ai.sandbox0.api.file.WatchEventKind.INVALIDATE;
import static ai.sandbox0.api.file.WatchEventKind.REMOVE;
import static ai.sandbox0.api.file.WatchEventKind.RENAME;
import static ai.sandbox0.api.file.WatchEventKind.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.file.FileWatchRequest;
import ai.sandbox0.api.file.FileWatchResponse;
import ai.sandbox0.api.file.FileWatchResponse.Event;
import ai.sandbox0.api.file.WatchEventKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Watches on a volume directory that a "sandbox" (this test, writing straight into the host directory)
 * changes: the events a client sees, with logical paths, and what a sandbox's links, renames and
 * directory floods cannot make the host do.
 */
class VolumeWatcherTest {

    private static final String VOLUME = "vol-1";

    @TempDir
    Path tmp;

    VolumeDirs dirs;
    VolumeWatcher watcher;
    Client client;

    @BeforeEach
    void start() throws IOException {
        dirs = new VolumeDirs(tmp);
        watcher = VolumeWatcher.start(VolumeWatcher.Limits.DEFAULT);
        client = new Client(watcher.connect(VOLUME, dirs.root));
    }

    @AfterEach
    void stop() {
        watcher.close();
    }

    @Test
    void reportsEachKindOfChangeWithTheVolumesPaths() throws Exception {
        String id = client.subscribe("/", false);

        Path file = Files.writeString(dirs.root.resolve("a.txt"), "one");
        client.await(id, CREATE, "/a.txt");
        Files.writeString(file, "two", StandardOpenOption.APPEND);
        client.await(id, WRITE, "/a.txt");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        client.await(id, CHMOD, "/a.txt");
        Files.move(file, dirs.root.resolve("b.txt"));
        client.await(id, RENAME, "/a.txt");
        client.await(id, CREATE, "/b.txt");
        Files.delete(dirs.root.resolve("b.txt"));
        client.await(id, REMOVE, "/b.txt");

        assertThat(client.events()).allSatisfy(e -> assertThat(e.path()).doesNotContain(tmp.toString()));
    }

    @Test
    void aSubscriptionIsAnsweredWithItsCleanedPathAndBadOnesWithErrors() throws Exception {
        Files.createDirectories(dirs.root.resolve("src/app"));
        client.connection.handle(new FileWatchRequest.Subscribe("src//./app/", null));
        var subscribed = (FileWatchResponse.Subscribed) client.next();
        assertThat(subscribed.path()).isEqualTo("/src/app");

        Files.writeString(dirs.root.resolve("src/app/main.py"), "print()");
        client.await(subscribed.watchId(), CREATE, "/src/app/main.py");

        assertThat(client.error(new FileWatchRequest.Subscribe("/missing", true))).isEqualTo("path not found: /missing");
        assertThat(client.error(new FileWatchRequest.Subscribe("", false))).isEqualTo("path is required");
        assertThat(client.error(new FileWatchRequest.Unsubscribe("nope"))).isEqualTo("no such watch: nope");
    }

    @Test
    void aRecursiveWatchFollowsNewDirectoriesAndWhatIsAlreadyInThem() throws Exception {
        Files.createDirectories(dirs.root.resolve("old/deep"));
        String id = client.subscribe("/", true);

        Files.writeString(dirs.root.resolve("old/deep/x"), "x");
        client.await(id, CREATE, "/old/deep/x");

        // A tree made at once: its files may land before the watch on their directory exists; the scan that
        // follows the watch reports them, and once a directory is reported it is watched.
        Files.createDirectories(dirs.root.resolve("new/a/b"));
        Files.writeString(dirs.root.resolve("new/a/b/f.txt"), "f");
        client.await(id, CREATE, "/new");
        client.await(id, CREATE, "/new/a/b");
        client.await(id, CREATE, "/new/a/b/f.txt");
        Files.writeString(dirs.root.resolve("new/a/b/f.txt"), "more", StandardOpenOption.APPEND);
        client.await(id, WRITE, "/new/a/b/f.txt");

        // A directory moved elsewhere in the volume is reported under its new path only.
        Files.move(dirs.root.resolve("new/a"), dirs.root.resolve("old/a"));
        client.await(id, RENAME, "/new/a");
        client.await(id, CREATE, "/old/a");
        client.await(id, CREATE, "/old/a/b");
        Files.writeString(dirs.root.resolve("old/a/b/g.txt"), "g");
        client.await(id, CREATE, "/old/a/b/g.txt");
        assertThat(client.events()).noneMatch(e -> e.path().startsWith("/new/a/b/g"));
    }

    @Test
    void linksASandboxPlantedAreNeverFollowedOutOfTheVolume() throws Exception {
        dirs.link("to-outside", dirs.outside.toString());
        dirs.link("to-tmp", "/tmp");
        dirs.link("up", "../../../../../../..");
        dirs.link("to-root", "/");

        // Resolved inside the volume, where these names lead nowhere.
        assertThat(client.error(new FileWatchRequest.Subscribe("/to-outside", true)))
                .isEqualTo("path not found: /to-outside");
        assertThat(client.error(new FileWatchRequest.Subscribe("/to-tmp", false))).isEqualTo("path not found: /to-tmp");
        assertThat(client.error(new FileWatchRequest.Subscribe("/up" + dirs.outside, false)))
                .startsWith("path not found");

        // "/" and "../.." lead to the volume's root: watching through them watches the volume.
        String viaLink = client.subscribe("/to-root", true);
        String viaDots = client.subscribe("/up", false);
        String whole = client.subscribe("/", true);

        // Changes outside the volume, where the links point on the host, are never reported ...
        Files.writeString(dirs.outside.resolve("planted"), "x");
        Path hostTmp = Path.of(VolumeDirs.hostTmpName());
        try {
            Files.writeString(hostTmp, "x");
        } finally {
            Files.deleteIfExists(hostTmp);
        }
        // ... while those inside are, under each subscription's own path.
        Files.writeString(dirs.root.resolve("inside"), "x");
        client.await(viaLink, CREATE, "/to-root/inside");
        client.await(viaDots, CREATE, "/up/inside");
        client.await(whole, CREATE, "/inside");
        assertThat(client.events()).noneMatch(e -> e.path().contains("planted") || e.path().contains("s0-escape"));
        assertThat(Files.readString(dirs.secret)).isEqualTo(VolumeDirs.SECRET);
    }

    @Test
    void aDirectoryReplacedByALinkIsNotEnteredByARecursiveWatch() throws Exception {
        String id = client.subscribe("/", true);
        // A sandbox makes a link where a directory was expected; the watch never descends through it.
        Files.createSymbolicLink(dirs.root.resolve("sub"), dirs.outside);
        client.await(id, CREATE, "/sub");
        Files.writeString(dirs.outside.resolve("after-link"), "x");
        Files.writeString(dirs.root.resolve("sentinel"), "x");
        client.await(id, CREATE, "/sentinel");
        assertThat(client.events()).noneMatch(e -> e.path().contains("after-link"));
        assertThat(client.connection.watchCount()).isEqualTo(1);
    }

    @Test
    void writesThroughTheFileApiShowNoTemporaryFiles() throws Exception {
        String id = client.subscribe("/", false);
        dirs.files().write("/report.txt", VolumeDirs.body("v1"), 100);
        client.await(id, CREATE, "/report.txt");
        dirs.files().write("/report.txt", VolumeDirs.body("v2"), 100);
        client.await(id, CREATE, "/report.txt");
        Files.writeString(dirs.root.resolve("sentinel"), "x");
        client.await(id, CREATE, "/sentinel");
        assertThat(client.events()).noneMatch(e -> e.path().contains(".s0-partial"));
    }

    @Test
    void unsubscribeStopsEventsOfThatWatchOnly() throws Exception {
        Files.createDirectories(dirs.root.resolve("a"));
        Files.createDirectories(dirs.root.resolve("b"));
        String a = client.subscribe("/a", true);
        String b = client.subscribe("/b", false);
        assertThat(client.connection.watchCount()).isEqualTo(2);

        client.connection.handle(new FileWatchRequest.Unsubscribe(a));
        assertThat(client.next()).isEqualTo(new FileWatchResponse.Unsubscribed(a));
        assertThat(client.connection.watchCount()).isEqualTo(1);

        Files.writeString(dirs.root.resolve("a/x"), "x");
        Files.writeString(dirs.root.resolve("b/y"), "y");
        client.await(b, CREATE, "/b/y");
        assertThat(client.events()).noneMatch(e -> e.watchId().equals(a));
    }

    @Test
    void invalidateTellsEverySubscriberAndWatchesTheRestoredContent() throws Exception {
        Files.createDirectories(dirs.root.resolve("data/logs"));
        Files.createDirectories(dirs.root.resolve("scratch"));
        String data = client.subscribe("/data", true);
        String scratch = client.subscribe("/scratch", false);
        Client other = new Client(watcher.connect("vol-2", Files.createDirectory(tmp.resolve("volume-2"))));
        String untouched = other.subscribe("/", false);

        // A restore swaps the volume's directory for the snapshot's (as VolumePool does, at the same path).
        Path snapshot = Files.createDirectories(tmp.resolve("snapshot/data/logs")).getParent().getParent();
        Path old = tmp.resolve("old");
        Files.move(dirs.root, old);
        Files.move(snapshot, dirs.root);
        watcher.invalidate(VOLUME);

        client.await(data, INVALIDATE, "/data");
        client.await(scratch, INVALIDATE, "/scratch");
        assertThat(client.next()).isInstanceOfSatisfying(FileWatchResponse.Error.class,
                e -> assertThat(e.error()).contains(scratch).contains("path not found: /scratch"));
        assertThat(client.next()).isEqualTo(new FileWatchResponse.Unsubscribed(scratch));

        // The same watch id reports the new content, recursively; the old content is no longer watched.
        Files.writeString(old.resolve("data/logs/stale"), "x");
        Files.writeString(dirs.root.resolve("data/logs/fresh"), "x");
        client.await(data, CREATE, "/data/logs/fresh");
        assertThat(client.events()).noneMatch(e -> e.path().contains("stale"));
        assertThat(client.connection.watchCount()).isEqualTo(2);

        Files.writeString(tmp.resolve("volume-2/z"), "z");
        other.await(untouched, CREATE, "/z");
        assertThat(other.events()).noneMatch(e -> e.event() == INVALIDATE);
    }

    @Test
    void aDeletedVolumeEndsItsSubscriptions() throws Exception {
        String id = client.subscribe("/", true);
        watcher.volumeGone(VOLUME, "the volume was deleted");
        assertThat(client.next()).isEqualTo(new FileWatchResponse.Error("watch " + id + " on / ended: the volume was deleted"));
        assertThat(client.next()).isEqualTo(new FileWatchResponse.Unsubscribed(id));
        assertThat(client.connection.watchCount()).isZero();
    }

    @Test
    void aConnectionWatchesNoMoreThanItsLimit() throws Exception {
        watcher.close();
        watcher = VolumeWatcher.start(new VolumeWatcher.Limits(5, 256, 4096, 65_536, 4096));
        client = new Client(watcher.connect(VOLUME, dirs.root));
        for (int i = 0; i < 8; i++) {
            Files.createDirectories(dirs.root.resolve("big/d" + i));
        }
        Files.createDirectories(dirs.root.resolve("small/one"));

        // A tree larger than the limit is refused whole, and holds nothing.
        assertThat(client.error(new FileWatchRequest.Subscribe("/big", true)))
                .isEqualTo("too many directories to watch: a connection may watch 5");
        assertThat(client.connection.watchCount()).isZero();

        // One that fits is watched; directories a sandbox adds past the limit are not, and the client is told once.
        String id = client.subscribe("/small", true);
        assertThat(client.connection.watchCount()).isEqualTo(2);
        for (int i = 0; i < 6; i++) {
            Files.createDirectories(dirs.root.resolve("small/more" + i));
        }
        FileWatchResponse.Error told = (FileWatchResponse.Error) client.until(f -> f instanceof FileWatchResponse.Error);
        assertThat(told.error()).isEqualTo("watch " + id + ": too many directories to watch: a connection may watch 5;"
                + " new directories under /small are not all watched");
        assertThat(client.connection.watchCount()).isEqualTo(5);

        // What is watched still reports.
        Files.writeString(dirs.root.resolve("small/one/file"), "x");
        client.await(id, CREATE, "/small/one/file");
        assertThat(client.frames).filteredOn(f -> f instanceof FileWatchResponse.Error e
                && e.error().startsWith("watch " + id)).hasSize(1);
    }

    @Test
    void allConnectionsTogetherHoldNoMoreThanTheServersLimits() throws Exception {
        watcher.close();
        watcher = VolumeWatcher.start(new VolumeWatcher.Limits(100, 256, 4096, 4, 2));
        client = new Client(watcher.connect(VOLUME, dirs.root));
        var second = new Client(watcher.connect(VOLUME, dirs.root));
        Files.createDirectories(dirs.root.resolve("a"));
        Files.createDirectories(dirs.root.resolve("b/c"));
        Files.createDirectories(dirs.root.resolve("d/1"));
        Files.createDirectories(dirs.root.resolve("d/2"));

        String a = client.subscribe("/a", false);
        second.subscribe("/b", true);
        assertThat(second.error(new FileWatchRequest.Subscribe("/", false)))
                .isEqualTo("too many subscriptions on this server (2); try again later");

        client.connection.unsubscribe(a);
        assertThat(second.error(new FileWatchRequest.Subscribe("/d", true)))
                .isEqualTo("this server watches too many directories already; try again later");
        assertThat(second.connection.watchCount()).isEqualTo(2);
    }

    @Test
    void closingTheWatcherEndsItsConnections() throws Exception {
        client.subscribe("/", true);
        watcher.close();
        assertThat(client.connection.next()).isNull();
    }

    /**
     * One connection's frames as a client reads them, kept for assertions about what was (not) sent. Events of
     * one change reach several subscriptions in no set order, so {@link #await} takes a matching frame that
     * came earlier too (each frame once).
     */
    private static final class Client {

        final VolumeWatcher.Connection connection;
        final List<FileWatchResponse> frames = new ArrayList<>();
        final List<FileWatchResponse> unclaimed = new ArrayList<>();

        Client(VolumeWatcher.Connection connection) {
            this.connection = connection;
        }

        /** The next frame not taken yet, in order. */
        FileWatchResponse next() throws InterruptedException {
            if (!unclaimed.isEmpty()) {
                return unclaimed.removeFirst();
            }
            return read();
        }

        private FileWatchResponse read() throws InterruptedException {
            FileWatchResponse frame = connection.poll(Duration.ofSeconds(20));
            assertThat(frame).as("a frame within 20 s (seen so far: %s)", frames).isNotNull();
            frames.add(frame);
            return frame;
        }

        String subscribe(String path, boolean recursive) throws InterruptedException {
            connection.subscribe(path, recursive);
            FileWatchResponse frame = until(f -> !(f instanceof Event));
            assertThat(frame).isInstanceOf(FileWatchResponse.Subscribed.class);
            return ((FileWatchResponse.Subscribed) frame).watchId();
        }

        String error(FileWatchRequest request) throws InterruptedException {
            connection.handle(request);
            FileWatchResponse frame = until(f -> !(f instanceof Event));
            assertThat(frame).isInstanceOf(FileWatchResponse.Error.class);
            return ((FileWatchResponse.Error) frame).error();
        }

        /** The first frame (taken earlier or not) that {@code wanted} accepts, waiting for it. */
        FileWatchResponse until(Predicate<FileWatchResponse> wanted) throws InterruptedException {
            for (int i = 0; i < unclaimed.size(); i++) {
                if (wanted.test(unclaimed.get(i))) {
                    return unclaimed.remove(i);
                }
            }
            while (true) {
                FileWatchResponse frame = read();
                if (wanted.test(frame)) {
                    return frame;
                }
                unclaimed.add(frame);
            }
        }

        void await(String watchId, WatchEventKind kind, String path) throws InterruptedException {
            until(f -> f.equals(new Event(watchId, kind, path)));
        }

        List<Event> events() {
            return frames.stream().filter(Event.class::isInstance).map(Event.class::cast).toList();
        }
    }
}
