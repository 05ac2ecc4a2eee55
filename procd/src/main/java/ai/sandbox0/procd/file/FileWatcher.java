package ai.sandbox0.procd.file;

import ai.sandbox0.api.file.FileWatchResponse;
import ai.sandbox0.api.file.WatchEventKind;
import ai.sandbox0.procd.Log;
import ai.sandbox0.procd.sys.Errno;
import ai.sandbox0.procd.sys.LibC;
import ai.sandbox0.procd.sys.Poller;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Recursive file watches on inotify, read by the {@link Poller}.
 *
 * <p>Why not {@code java.nio.file.WatchService}: on Linux it is inotify too, but it folds IN_MODIFY
 * and IN_ATTRIB into one ENTRY_MODIFY and a rename into delete + create, so write, chmod and rename
 * (the upstream event kinds, fsnotify's) cannot be told apart, and it adds a thread of its own.
 *
 * <p>Directories created (or moved in) under a recursive watch are watched as soon as their create
 * event is read; whatever appeared in them before that is reported as {@code create} by a scan right
 * after the watch is added, so a file made in a brand-new subdirectory is not missed (it may be
 * reported twice).
 */
public final class FileWatcher {

    static final int IN_MODIFY = 0x2, IN_ATTRIB = 0x4, IN_MOVED_FROM = 0x40, IN_MOVED_TO = 0x80, IN_CREATE = 0x100,
            IN_DELETE = 0x200, IN_DELETE_SELF = 0x400, IN_MOVE_SELF = 0x800, IN_Q_OVERFLOW = 0x4000,
            IN_IGNORED = 0x8000, IN_ISDIR = 0x40000000, IN_DONT_FOLLOW = 0x2000000;
    static final int MASK = IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
            | IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW;

    /** One subscription of a stream. */
    public static final class Subscription {
        final String id;
        final Path root;
        final boolean recursive;
        final WatchStream stream;
        final Set<Integer> wds = new HashSet<>();

        Subscription(String id, Path root, boolean recursive, WatchStream stream) {
            this.id = id;
            this.root = root;
            this.recursive = recursive;
            this.stream = stream;
        }
    }

    private record Watched(Path path, Set<Subscription> subs) {
    }

    private final Poller poller;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Integer, Watched> byWd = new HashMap<>();
    private int fd = -1;

    public FileWatcher(Poller poller) {
        this.poller = poller;
    }

    /**
     * Adds the watches of a subscription, then queues {@code subscribed} on its stream; throws with a message for
     * an {@code error} frame. Events are dispatched under the same lock, so none of this subscription's can come
     * before that frame, and none that happen after it was sent are lost.
     */
    void add(Subscription sub, FileWatchResponse.Subscribed subscribed) throws IOException {
        lock.lock();
        try {
            ensureOpen();
            if (Files.isDirectory(sub.root) && sub.recursive) {
                watchTree(sub, sub.root, false);
            } else {
                watch(sub, sub.root);
            }
            sub.stream.push(subscribed);
        } catch (IOException | RuntimeException e) {
            removeLocked(sub);
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    void remove(Subscription sub) {
        lock.lock();
        try {
            removeLocked(sub);
        } finally {
            lock.unlock();
        }
    }

    private void removeLocked(Subscription sub) {
        for (int wd : sub.wds) {
            Watched w = byWd.get(wd);
            if (w != null) {
                w.subs.remove(sub);
                if (w.subs.isEmpty()) {
                    byWd.remove(wd);
                    LibC.inotifyRmWatch(fd, wd);
                }
            }
        }
        sub.wds.clear();
    }

    private void ensureOpen() throws IOException {
        if (fd >= 0) {
            return;
        }
        int r = LibC.inotifyInit(LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (r < 0) {
            throw new IOException("inotify_init1 failed: " + Errno.name(-r));
        }
        fd = r;
        poller.register(fd, (f, revents) -> {
            readEvents();
            return true;
        });
    }

    private void watch(Subscription sub, Path path) throws IOException {
        int wd = LibC.inotifyAddWatch(fd, path.toString(), MASK);
        if (wd < 0) {
            throw new IOException("cannot watch " + path + ": " + Errno.name(-wd));
        }
        byWd.computeIfAbsent(wd, k -> new Watched(path, new LinkedHashSet<>())).subs.add(sub);
        sub.wds.add(wd);
    }

    /** Watches {@code dir} and every directory below it; optionally reports what is already inside. */
    private void watchTree(Subscription sub, Path dir, boolean reportExisting) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        watch(sub, p);
                    } catch (IOException e) {
                        if (p.equals(dir) && !reportExisting) {
                            throw e;
                        }
                    }
                }
                if (reportExisting && !p.equals(dir)) {
                    sub.stream.push(new FileWatchResponse.Event(sub.id, WatchEventKind.CREATE, p.toString()));
                }
            }
        } catch (java.io.UncheckedIOException e) {
            if (!reportExisting) {
                throw e.getCause();
            }
        }
    }

    /** Poll thread: decode {@code struct inotify_event}s and fan them out. */
    private void readEvents() {
        byte[] bytes;
        while ((bytes = poller.read(fd)) != null && bytes.length > 0) {
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
            lock.lock();
            try {
                while (b.remaining() >= 16) {
                    int wd = b.getInt();
                    int mask = b.getInt();
                    b.getInt(); // cookie
                    int len = b.getInt();
                    byte[] raw = new byte[len];
                    b.get(raw);
                    int end = 0;
                    while (end < len && raw[end] != 0) {
                        end++;
                    }
                    dispatch(wd, mask, new String(raw, 0, end, StandardCharsets.UTF_8));
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private void dispatch(int wd, int mask, String name) {
        if ((mask & IN_Q_OVERFLOW) != 0) {
            Log.info("inotify queue overflowed: events were lost");
            return;
        }
        Watched w = byWd.get(wd);
        if (w == null) {
            return;
        }
        if ((mask & IN_IGNORED) != 0) {
            byWd.remove(wd);
            w.subs.forEach(s -> s.wds.remove(wd));
            return;
        }
        Path path = name.isEmpty() ? w.path : w.path.resolve(name);
        WatchEventKind kind = kind(mask);
        if (kind == null) {
            return;
        }
        boolean self = (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0;
        for (Subscription sub : List.copyOf(w.subs)) {
            // A subdirectory's own delete/move is already reported by its parent's watch.
            if (self && !w.path.equals(sub.root)) {
                continue;
            }
            sub.stream.push(new FileWatchResponse.Event(sub.id, kind, path.toString()));
            if (sub.recursive && (mask & IN_ISDIR) != 0 && (mask & (IN_CREATE | IN_MOVED_TO)) != 0) {
                try {
                    watchTree(sub, path, true);
                } catch (IOException e) {
                    // gone again already
                }
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
}
