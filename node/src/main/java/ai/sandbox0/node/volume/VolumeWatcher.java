package ai.sandbox0.node.volume;

import static ai.sandbox0.node.volume.Inotify.IN_ATTRIB;
import static ai.sandbox0.node.volume.Inotify.IN_CREATE;
import static ai.sandbox0.node.volume.Inotify.IN_DELETE;
import static ai.sandbox0.node.volume.Inotify.IN_DELETE_SELF;
import static ai.sandbox0.node.volume.Inotify.IN_EXCL_UNLINK;
import static ai.sandbox0.node.volume.Inotify.IN_IGNORED;
import static ai.sandbox0.node.volume.Inotify.IN_ISDIR;
import static ai.sandbox0.node.volume.Inotify.IN_MODIFY;
import static ai.sandbox0.node.volume.Inotify.IN_MOVED_FROM;
import static ai.sandbox0.node.volume.Inotify.IN_MOVED_TO;
import static ai.sandbox0.node.volume.Inotify.IN_MOVE_SELF;
import static ai.sandbox0.node.volume.Inotify.IN_ONLYDIR;
import static ai.sandbox0.node.volume.Inotify.IN_Q_OVERFLOW;
import static ai.sandbox0.node.volume.Syscalls.O_DIRECTORY;
import static ai.sandbox0.node.volume.Syscalls.O_NONBLOCK;
import static ai.sandbox0.node.volume.Syscalls.O_PATH;
import static ai.sandbox0.node.volume.Syscalls.O_RDONLY;

import ai.sandbox0.api.file.FileWatchRequest;
import ai.sandbox0.api.file.FileWatchResponse;
import ai.sandbox0.api.file.WatchEventKind;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * File watches on volumes, served by the host with one inotify instance for every volume of the node: the
 * protocol of the volume file watch WebSocket, with each client a {@link Connection} holding subscriptions
 * ({@code subscribe} a path, recursively or not; {@code unsubscribe} a watch id) and a bounded queue of the
 * frames it is to be sent.
 *
 * <p>A sandbox writes into the volume while the host watches it, so nothing here resolves a host path: the
 * subscribed path is opened inside the volume ({@code RESOLVE_IN_ROOT}, links followed inside it), each
 * directory below it from its parent's descriptor as one name that must not be a link, and inotify is given
 * the descriptor's {@code /proc/self/fd/N}, the inode itself. Paths in events are the volume's logical paths,
 * under the subscribed path as the client spelled it (cleaned). A connection watches at most
 * {@link Limits#watchesPerConnection} inodes, so a sandbox making millions of directories cannot use up the
 * host's inotify watches (which every root process shares); past it the client gets an error frame. The node as
 * a whole holds at most {@link Limits#watchesInAll} watches and {@link Limits#subscriptionsInAll} subscriptions
 * (each keeps a descriptor open).
 *
 * <p>Event kinds are fsnotify's, as for a sandbox's own watches: create (also moved in), write, remove,
 * rename (moved away), chmod (any attribute). Directories made (or moved in) under a recursive subscription
 * are watched as soon as their event is read, and what is already in them is reported as create (a file made
 * right then may be reported twice). After a
 * restore replaced a volume's content, {@link #invalidate} tells every subscriber ({@code invalidate} on its
 * subscribed path) and watches the new content under the same watch ids.
 *
 * <p>Events are read by one platform thread (inotify reads block in native code, which would hold a virtual
 * thread's carrier) and dispatched under the watcher's lock, which subscribing also takes: no event of a
 * subscription is queued before its {@code subscribed} frame.
 */
public final class VolumeWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VolumeWatcher.class);

    private static final int MASK = IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
            | IN_DELETE_SELF | IN_MOVE_SELF | IN_EXCL_UNLINK;
    private static final int DIRECTORY_FLAGS = O_RDONLY | O_DIRECTORY | O_NONBLOCK;
    private static final long NAMES_BUFFER = 32 * 1024;

    /**
     * What one connection may hold: inodes watched (over all its subscriptions), subscriptions and frames waiting
     * for a slow client (the oldest are dropped past it); and what all connections together may hold: inodes
     * watched (the kernel's count, shared by every root process of the host) and subscriptions (each keeps a
     * descriptor open).
     */
    public record Limits(int watchesPerConnection, int subscriptionsPerConnection, int queuedFrames,
            int watchesInAll, int subscriptionsInAll) {

        public static final Limits DEFAULT = new Limits(10_000, 256, 4096, 65_536, 4096);

        public Limits {
            if (watchesPerConnection < 1 || subscriptionsPerConnection < 1 || queuedFrames < 1 || watchesInAll < 1
                    || subscriptionsInAll < 1) {
                throw new IllegalArgumentException("watch limits must be positive");
            }
        }
    }

    private final Limits limits;
    private final Inotify inotify;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Integer, Set<Subscription>> byWatch = new HashMap<>();
    private final Map<String, Set<Connection>> byVolume = new HashMap<>();
    /** Frames queued under the lock, published as it is released. */
    private final Set<Frames> staged = new LinkedHashSet<>();
    private final Thread reader;
    private int subscriptionCount;
    private boolean closed;

    private VolumeWatcher(Limits limits, Inotify inotify) {
        this.limits = limits;
        this.inotify = inotify;
        this.reader = Thread.ofPlatform().daemon().name("volume-watch").unstarted(this::read);
    }

    /** A watcher with its own inotify instance and reader thread. */
    public static VolumeWatcher start(Limits limits) throws IOException {
        var watcher = new VolumeWatcher(limits, Inotify.open());
        watcher.reader.start();
        return watcher;
    }

    /**
     * A client of the volume {@code volumeId}, whose files are under {@code root} (a directory the caller
     * trusts, opened again for each subscription, so a restore that swapped it is seen).
     */
    public Connection connect(String volumeId, Path root) {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the volume watcher is closed");
            }
            var connection = new Connection(volumeId, root);
            byVolume.computeIfAbsent(volumeId, id -> new LinkedHashSet<>()).add(connection);
            return connection;
        } finally {
            unlock();
        }
    }

    /**
     * The volume's content was replaced (a restore): every subscription gets {@code invalidate} on its path
     * and watches the new content under the same watch id; one whose path is gone now ends with an error
     * and {@code unsubscribed}.
     */
    public void invalidate(String volumeId) {
        lock.lock();
        try {
            for (Connection connection : byVolume.getOrDefault(volumeId, Set.of())) {
                connection.reestablish();
            }
        } finally {
            unlock();
        }
    }

    /**
     * The volume is gone (deleted): every subscription ends with an error frame saying {@code reason} and
     * {@code unsubscribed}, and its watches are released. Connections stay open until their clients close them.
     */
    public void volumeGone(String volumeId, String reason) {
        lock.lock();
        try {
            for (Connection connection : byVolume.getOrDefault(volumeId, Set.of())) {
                for (Subscription sub : List.copyOf(connection.subscriptions.values())) {
                    connection.end(sub, reason);
                }
            }
        } finally {
            unlock();
        }
    }

    /** Stops reading events and ends every connection (their {@link Connection#next} returns null). */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            unlock();
        }
        inotify.wakeUp();
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lock.lock();
        try {
            for (Set<Connection> connections : List.copyOf(byVolume.values())) {
                for (Connection connection : List.copyOf(connections)) {
                    connection.closeLocked();
                }
            }
        } finally {
            unlock();
        }
        inotify.close();
    }

    /**
     * One client's watches on one volume. Frames are taken with {@link #next}, by one thread; the other
     * methods may be called from any thread.
     */
    public final class Connection implements AutoCloseable {

        private final String volumeId;
        private final Path root;
        private final Map<String, Subscription> subscriptions = new LinkedHashMap<>();
        private final Frames frames;
        private int watches;
        private boolean ended;

        private Connection(String volumeId, Path root) {
            this.volumeId = volumeId;
            this.root = root;
            this.frames = new Frames(volumeId, limits.queuedFrames());
        }

        /** Applies one client frame. */
        public void handle(FileWatchRequest request) {
            switch (request) {
                case FileWatchRequest.Subscribe s -> subscribe(s.path(), Boolean.TRUE.equals(s.recursive()));
                case FileWatchRequest.Unsubscribe u -> unsubscribe(u.watchId());
            }
        }

        /**
         * Watches {@code path} (logical; a relative one is taken from the root): {@code subscribed} with a new
         * watch id, or an {@code error} frame saying why not.
         */
        public void subscribe(String path, boolean recursive) {
            if (path == null || path.isEmpty()) {
                refuse("path is required");
                return;
            }
            LogicalPath logical;
            try {
                logical = LogicalPath.parse(path.startsWith("/") ? path : "/" + path);
            } catch (IllegalArgumentException e) {
                refuse("invalid path: " + e.getMessage());
                return;
            }
            lock.lock();
            try {
                if (ended) {
                    return;
                }
                if (subscriptions.size() >= limits.subscriptionsPerConnection()) {
                    send(new FileWatchResponse.Error("too many subscriptions: a connection may hold "
                            + limits.subscriptionsPerConnection()));
                    return;
                }
                if (subscriptionCount >= limits.subscriptionsInAll()) {
                    send(new FileWatchResponse.Error("too many subscriptions on this server ("
                            + limits.subscriptionsInAll() + "); try again later"));
                    return;
                }
                var sub = new Subscription(newId(), this, logical, recursive);
                try {
                    establish(sub);
                } catch (WatchRefused e) {
                    release(sub);
                    send(new FileWatchResponse.Error(e.getMessage()));
                    return;
                }
                subscriptions.put(sub.id, sub);
                subscriptionCount++;
                send(new FileWatchResponse.Subscribed(sub.id, logical.toString()));
            } finally {
                unlock();
            }
        }

        /** Ends a subscription ({@code unsubscribed}); an id this connection does not hold is an error frame. */
        public void unsubscribe(String watchId) {
            lock.lock();
            try {
                if (ended) {
                    return;
                }
                Subscription sub = watchId == null ? null : subscriptions.get(watchId);
                if (sub == null) {
                    send(new FileWatchResponse.Error(watchId == null || watchId.isEmpty()
                            ? "watch_id is required" : "no such watch: " + watchId));
                    return;
                }
                forget(sub);
                send(new FileWatchResponse.Unsubscribed(watchId));
            } finally {
                unlock();
            }
        }

        /** Queues an {@code error} frame, for a client frame that could not be read. */
        public void refuse(String message) {
            lock.lock();
            try {
                send(new FileWatchResponse.Error(message));
            } finally {
                unlock();
            }
        }

        /** The next frame to send, waiting for one; null once the connection is closed. */
        public FileWatchResponse next() throws InterruptedException {
            return frames.take(-1);
        }

        /** The next frame within {@code timeout}, or null (none yet, or closed). */
        public FileWatchResponse poll(Duration timeout) throws InterruptedException {
            return frames.take(Math.max(0, timeout.toNanos()));
        }

        /** The number of inodes this connection watches now. */
        public int watchCount() {
            lock.lock();
            try {
                return watches;
            } finally {
                unlock();
            }
        }

        /** Releases every watch; {@link #next} returns null from now on. */
        @Override
        public void close() {
            lock.lock();
            try {
                closeLocked();
            } finally {
                unlock();
            }
        }

        private void closeLocked() {
            if (ended) {
                return;
            }
            ended = true;
            List.copyOf(subscriptions.values()).forEach(this::forget);
            Set<Connection> ofVolume = byVolume.get(volumeId);
            if (ofVolume != null) {
                ofVolume.remove(this);
                if (ofVolume.isEmpty()) {
                    byVolume.remove(volumeId);
                }
            }
            frames.close();
        }

        /** Queues a frame, for the client to see when the lock is released (under the lock only). */
        private void send(FileWatchResponse frame) {
            if (!ended) {
                frames.stage(frame);
                staged.add(frames);
            }
        }

        private void forget(Subscription sub) {
            release(sub);
            if (subscriptions.remove(sub.id) != null) {
                subscriptionCount--;
            }
        }

        private void reestablish() {
            for (Subscription sub : List.copyOf(subscriptions.values())) {
                release(sub);
                send(new FileWatchResponse.Event(sub.id, WatchEventKind.INVALIDATE, sub.path.toString()));
                try {
                    establish(sub);
                } catch (WatchRefused e) {
                    end(sub, e.getMessage());
                }
            }
        }

        private void end(Subscription sub, String reason) {
            forget(sub);
            send(new FileWatchResponse.Error("watch " + sub.id + " on " + sub.path + " ended: " + reason));
            send(new FileWatchResponse.Unsubscribed(sub.id));
        }
    }

    /** One subscribed path of a connection and the inodes watched for it, by watch descriptor. */
    private static final class Subscription {

        final String id;
        final Connection connection;
        final LogicalPath path;
        final boolean recursive;
        /** The subscribed inode, for resolving directories made under it later; null when released. */
        Fd base;
        /** Logical path of each inode watched for this subscription. */
        final Map<Integer, LogicalPath> watched = new HashMap<>();
        boolean limitReported;

        Subscription(String id, Connection connection, LogicalPath path, boolean recursive) {
            this.id = id;
            this.connection = connection;
            this.path = path;
            this.recursive = recursive;
        }
    }

    /** Why a subscription (or part of it) cannot be watched, in words for the client. */
    private static final class WatchRefused extends Exception {

        WatchRefused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Publishes what was queued, then unlocks: a client sees the frames of one operation together, so when it
     * reads the create of a directory, that directory is watched already.
     */
    private void unlock() {
        try {
            staged.forEach(Frames::publish);
            staged.clear();
        } finally {
            lock.unlock();
        }
    }

    // ---- everything below runs under the lock ----

    /** Opens the subscribed path inside the volume and watches it (and, if recursive, every directory below). */
    private void establish(Subscription sub) throws WatchRefused {
        sub.limitReported = false;
        try (Fd volume = openRoot(sub.connection.root)) {
            sub.base = volume.resolve(sub.path, O_PATH);
        } catch (SyscallException e) {
            throw new WatchRefused(describe(e, sub.path));
        }
        try {
            boolean directory = sub.base.stat().isDirectory();
            if (!directory || !sub.recursive) {
                if (!addWatch(sub, sub.base, sub.path, directory)) {
                    throw limitReached();
                }
                return;
            }
            try (Fd top = sub.base.resolve(LogicalPath.ROOT, DIRECTORY_FLAGS)) {
                watchTree(sub, top, sub.path, false);
            }
        } catch (SyscallException e) {
            throw new WatchRefused(describe(e, sub.path));
        }
    }

    /**
     * Watches directory {@code top} (at {@code topPath}) and every directory below it, each opened from its
     * parent as a name that must not be a link; with {@code reportExisting}, every entry found is reported as
     * create. Refused once the connection's watches are used up.
     */
    private void watchTree(Subscription sub, Fd top, LogicalPath topPath, boolean reportExisting)
            throws WatchRefused, SyscallException {
        if (!addWatch(sub, top, topPath, true)) {
            throw limitReached();
        }
        var stack = new ArrayDeque<Level>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(NAMES_BUFFER);
            stack.push(new Level(top, new DirectoryEntries(top, buffer), topPath, false));
            while (!stack.isEmpty()) {
                Level level = stack.peek();
                byte[] name = level.entries.next();
                if (name == null) {
                    stack.pop().close();
                    continue;
                }
                if (hidden(name)) {
                    continue;
                }
                LogicalPath child = level.path.child(new String(name, StandardCharsets.UTF_8));
                if (reportExisting) {
                    sub.connection.send(new FileWatchResponse.Event(sub.id, WatchEventKind.CREATE,
                            child.toString()));
                }
                Fd dir;
                try {
                    dir = level.dir.child(name, DIRECTORY_FLAGS);
                } catch (SyscallException e) {
                    continue; // not a directory, a link (never followed), or gone already
                }
                boolean added;
                try {
                    added = addWatch(sub, dir, child, true);
                } catch (SyscallException e) {
                    dir.close();
                    if (e.is(Syscalls.ENOSPC)) {
                        throw hostLimitReached();
                    }
                    continue;
                }
                if (!added) {
                    dir.close();
                    throw limitReached();
                }
                if (stack.size() >= Subtree.MAX_DEPTH) {
                    dir.close();
                    continue;
                }
                stack.push(new Level(dir, new DirectoryEntries(dir, buffer), child, true));
            }
        } finally {
            while (!stack.isEmpty()) {
                stack.pop().close();
            }
        }
    }

    /** A directory being read by {@link #watchTree}; {@code owned} descriptors are closed when it is done. */
    private record Level(Fd dir, DirectoryEntries entries, LogicalPath path, boolean owned) {

        void close() {
            if (owned) {
                dir.close();
            }
        }
    }

    /** Watches the inode {@code target} is open on for {@code sub}; false if the connection has no watches left. */
    private boolean addWatch(Subscription sub, Fd target, LogicalPath path, boolean directory)
            throws SyscallException {
        Connection connection = sub.connection;
        if (connection.watches >= limits.watchesPerConnection()) {
            return false;
        }
        if (byWatch.size() >= limits.watchesInAll()) {
            throw new SyscallException("inotify_add_watch", Syscalls.ENOSPC); // as if the kernel's limit
        }
        int wd = inotify.addWatch(target, MASK | (directory ? IN_ONLYDIR : 0));
        byWatch.computeIfAbsent(wd, w -> new LinkedHashSet<>()).add(sub);
        if (sub.watched.put(wd, path) == null) {
            connection.watches++;
        }
        return true;
    }

    private void unwatch(Subscription sub, int wd) {
        if (sub.watched.remove(wd) == null) {
            return;
        }
        sub.connection.watches--;
        Set<Subscription> subs = byWatch.get(wd);
        if (subs != null) {
            subs.remove(sub);
            if (subs.isEmpty()) {
                byWatch.remove(wd);
                inotify.removeWatch(wd);
            }
        }
    }

    /** Drops every watch of {@code sub} and its descriptor. */
    private void release(Subscription sub) {
        for (int wd : List.copyOf(sub.watched.keySet())) {
            unwatch(sub, wd);
        }
        if (sub.base != null) {
            sub.base.close();
            sub.base = null;
        }
    }

    /** The reader thread: events until {@link #close}. */
    private void read() {
        while (true) {
            List<Inotify.Event> events;
            try {
                events = inotify.await();
            } catch (SyscallException e) {
                LOG.error("volume watches stopped: reading inotify failed: {}", e.getMessage());
                return;
            }
            if (events.isEmpty()) {
                return;
            }
            lock.lock();
            try {
                dispatch(events);
            } catch (RuntimeException e) {
                LOG.warn("volume watch events dropped: {}", e.toString());
            } finally {
                unlock();
            }
        }
    }

    private void dispatch(List<Inotify.Event> events) {
        boolean overflowed = false;
        for (Inotify.Event event : events) {
            if (event.is(IN_Q_OVERFLOW)) {
                overflowed = true;
                continue;
            }
            Set<Subscription> subs = byWatch.get(event.wd());
            if (subs == null) {
                continue;
            }
            if (event.is(IN_IGNORED)) { // the inode is gone, or its watch was removed
                byWatch.remove(event.wd());
                for (Subscription sub : subs) {
                    if (sub.watched.remove(event.wd()) != null) {
                        sub.connection.watches--;
                    }
                }
                continue;
            }
            WatchEventKind kind = kind(event.mask());
            if (kind == null || hidden(event.name())) {
                continue;
            }
            boolean self = event.is(IN_DELETE_SELF | IN_MOVE_SELF);
            for (Subscription sub : List.copyOf(subs)) {
                LogicalPath at = sub.watched.get(event.wd());
                if (at == null || (self && !at.equals(sub.path))) {
                    continue; // a subdirectory's own delete or move is reported by its parent's watch
                }
                LogicalPath path = event.name().length == 0 ? at : at.child(event.nameText());
                sub.connection.send(new FileWatchResponse.Event(sub.id, kind, path.toString()));
                if (sub.recursive && event.is(IN_ISDIR) && !self) {
                    if (event.is(IN_CREATE | IN_MOVED_TO)) {
                        watchNewDirectory(sub, path);
                    } else if (event.is(IN_MOVED_FROM)) {
                        unwatchBelow(sub, path); // its inodes would be reported under a path they left
                    }
                }
            }
        }
        if (overflowed) {
            // Events were lost, directories made meanwhile may be unwatched: start every watch afresh, and
            // tell the clients their picture is stale.
            LOG.warn("volume watch events were lost (inotify queue overflow); invalidating every watch");
            for (Set<Connection> connections : List.copyOf(byVolume.values())) {
                for (Connection connection : List.copyOf(connections)) {
                    connection.reestablish();
                }
            }
        }
    }

    /** Watches a directory that appeared at {@code path} under {@code sub}, reporting what is in it already. */
    private void watchNewDirectory(Subscription sub, LogicalPath path) {
        if (sub.base == null) {
            return;
        }
        List<String> below = path.names().subList(sub.path.names().size(), path.names().size());
        Fd current = sub.base;
        try {
            for (int i = 0; i < below.size(); i++) {
                int flags = i == below.size() - 1 ? DIRECTORY_FLAGS : O_PATH | O_DIRECTORY;
                Fd next = current.child(below.get(i).getBytes(StandardCharsets.UTF_8), flags);
                if (current != sub.base) {
                    current.close();
                }
                current = next;
            }
            if (current == sub.base) {
                return;
            }
            watchTree(sub, current, path, true);
        } catch (SyscallException e) {
            if (e.is(Syscalls.ENOSPC)) {
                reportPartial(sub, hostLimitReached());
            }
            // else gone again, or replaced by a link (never followed)
        } catch (WatchRefused e) {
            reportPartial(sub, e);
        } finally {
            if (current != sub.base) {
                current.close();
            }
        }
    }

    /** Tells the client once that its subscription no longer covers every directory under its path. */
    private static void reportPartial(Subscription sub, WatchRefused why) {
        if (!sub.limitReported) {
            sub.limitReported = true;
            sub.connection.send(new FileWatchResponse.Error("watch " + sub.id + ": " + why.getMessage()
                    + "; new directories under " + sub.path + " are not all watched"));
        }
    }

    private void unwatchBelow(Subscription sub, LogicalPath path) {
        for (Map.Entry<Integer, LogicalPath> watched : new ArrayList<>(sub.watched.entrySet())) {
            if (path.contains(watched.getValue()) && !watched.getValue().equals(sub.path)) {
                unwatch(sub, watched.getKey());
            }
        }
    }

    private static WatchEventKind kind(int mask) {
        if ((mask & (IN_CREATE | IN_MOVED_TO)) != 0) {
            return WatchEventKind.CREATE;
        }
        if ((mask & IN_MODIFY) != 0) {
            return WatchEventKind.WRITE;
        }
        if ((mask & (IN_DELETE | IN_DELETE_SELF)) != 0) {
            return WatchEventKind.REMOVE;
        }
        if ((mask & (IN_MOVED_FROM | IN_MOVE_SELF)) != 0) {
            return WatchEventKind.RENAME;
        }
        if ((mask & IN_ATTRIB) != 0) {
            return WatchEventKind.CHMOD;
        }
        return null;
    }

    /** The files a write through the file API fills before renaming them into place. */
    private static boolean hidden(byte[] name) {
        byte[] prefix = VolumeFiles.PARTIAL_PREFIX.getBytes(StandardCharsets.UTF_8);
        if (name.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (name[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static Fd openRoot(Path root) throws WatchRefused {
        try {
            return Fd.openTrustedDirectory(root);
        } catch (SyscallException e) {
            throw new WatchRefused("the volume cannot be opened: " + Syscalls.strerror(e.errno()));
        }
    }

    private WatchRefused limitReached() {
        return new WatchRefused("too many directories to watch: a connection may watch " + limits.watchesPerConnection());
    }

    private static WatchRefused hostLimitReached() {
        return new WatchRefused("this server watches too many directories already; try again later");
    }

    private static String describe(SyscallException e, LogicalPath path) {
        return switch (e.errno()) {
            case Syscalls.ENOENT -> "path not found: " + path;
            case Syscalls.ENOTDIR -> "path not found: " + path + " (a parent is not a directory)";
            case Syscalls.ELOOP -> "path " + path + ": too many levels of symbolic links";
            case Syscalls.EXDEV -> "path " + path + " crosses a mount point";
            case Syscalls.ENOSPC -> hostLimitReached().getMessage();
            case Syscalls.EACCES, Syscalls.EPERM -> "path " + path + ": permission denied";
            default -> "cannot watch " + path + ": " + Syscalls.strerror(e.errno());
        };
    }

    private static String newId() {
        byte[] b = new byte[8];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * Frames waiting for a connection's sender; a client that stops reading loses the oldest, never the host's
     * memory. Frames are staged under the watcher's lock and published together.
     */
    private static final class Frames {

        private final String volumeId;
        private final int capacity;
        private final ArrayList<FileWatchResponse> pending = new ArrayList<>();
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final ArrayDeque<FileWatchResponse> queue = new ArrayDeque<>();
        private boolean closed;
        private long dropped;

        Frames(String volumeId, int capacity) {
            this.volumeId = volumeId;
            this.capacity = capacity;
        }

        /** Under the watcher's lock. */
        void stage(FileWatchResponse frame) {
            pending.add(frame);
        }

        /** Under the watcher's lock. */
        void publish() {
            lock.lock();
            try {
                if (!closed) {
                    queue.addAll(pending);
                    while (queue.size() > capacity) {
                        queue.removeFirst();
                        if (dropped++ == 0) {
                            LOG.info("volume {}: a watch client is not reading fast enough; its oldest events are"
                                    + " dropped", volumeId);
                        }
                    }
                    changed.signalAll();
                }
            } finally {
                pending.clear();
                lock.unlock();
            }
        }

        /** The next frame; waits forever when {@code nanos} is negative; null on timeout or close. */
        FileWatchResponse take(long nanos) throws InterruptedException {
            boolean forever = nanos < 0;
            lock.lock();
            try {
                while (queue.isEmpty() && !closed) {
                    if (forever) {
                        changed.await();
                    } else if (nanos <= 0) {
                        return null;
                    } else {
                        nanos = changed.awaitNanos(nanos);
                    }
                }
                return closed ? null : queue.pollFirst();
            } finally {
                lock.unlock();
            }
        }

        void close() {
            lock.lock();
            try {
                closed = true;
                queue.clear();
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }
}
