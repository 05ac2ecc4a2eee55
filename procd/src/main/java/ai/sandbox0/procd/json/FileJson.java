package ai.sandbox0.procd.json;

import ai.sandbox0.api.file.FileEntries;
import ai.sandbox0.api.file.FileInfo;
import ai.sandbox0.api.file.FileType;
import ai.sandbox0.api.file.FileWatchRequest;
import ai.sandbox0.api.file.FileWatchResponse;
import ai.sandbox0.api.file.MoveFileRequest;
import ai.sandbox0.api.file.WatchEventKind;

/** The file records of sandbox-api.md §6 and the watch frames of §6.1 as procd reads and writes them. */
final class FileJson {

    static final WireEnum<FileType> FILE_TYPE = WireEnum.of(FileType.class, "file", "dir", "symlink");
    static final WireEnum<WatchEventKind> EVENT = WireEnum.of(WatchEventKind.class,
            "create", "write", "remove", "rename", "chmod", "invalidate");

    private FileJson() {
    }

    static MoveFileRequest move(JsonIn in) {
        var f = new Object() {
            String source;
            String destination;
        };
        in.fields(name -> {
            switch (name) {
                case "source" -> f.source = in.string();
                case "destination" -> f.destination = in.string();
                default -> in.skip();
            }
        });
        return new MoveFileRequest(f.source, f.destination);
    }

    /** A client watch frame; an unknown or missing {@code action} is a problem. */
    static FileWatchRequest watchRequest(JsonIn in) {
        var f = new Object() {
            String action;
            String path;
            Boolean recursive;
            String watchId;
        };
        in.fields(name -> {
            switch (name) {
                case "action" -> f.action = in.string();
                case "path" -> f.path = in.string();
                case "recursive" -> f.recursive = in.bool();
                case "watch_id" -> f.watchId = in.string();
                default -> in.skip();
            }
        });
        if ("subscribe".equals(f.action)) {
            return new FileWatchRequest.Subscribe(f.path, f.recursive);
        }
        if ("unsubscribe".equals(f.action)) {
            return new FileWatchRequest.Unsubscribe(f.watchId);
        }
        throw new JsonProblem("invalid value for field 'action': expected one of subscribe, unsubscribe");
    }

    static void info(JsonOut out, FileInfo i) {
        out.begin()
                .string("name", i.name())
                .string("path", i.path())
                .enumValue("type", FILE_TYPE, i.type())
                .number("size", i.size())
                .string("mode", i.mode())
                .time("mod_time", i.modTime())
                .bool("is_link", i.isLink())
                .string("link_target", i.linkTarget())
                .end();
    }

    static void entries(JsonOut out, FileEntries entries) {
        out.begin().list("entries", entries.entries(), FileJson::info).end();
    }

    static void watchFrame(JsonOut out, FileWatchResponse frame) {
        // instanceof rather than a pattern switch: a type switch costs milliseconds the first time, interpreted.
        if (frame instanceof FileWatchResponse.Subscribed s) {
            out.begin().string("type", s.type()).string("watch_id", s.watchId()).string("path", s.path()).end();
        } else if (frame instanceof FileWatchResponse.Event e) {
            out.begin().string("type", e.type()).string("watch_id", e.watchId())
                    .enumValue("event", EVENT, e.event()).string("path", e.path()).end();
        } else if (frame instanceof FileWatchResponse.Unsubscribed u) {
            out.begin().string("type", u.type()).string("watch_id", u.watchId()).end();
        } else if (frame instanceof FileWatchResponse.Error e) {
            out.begin().string("type", e.type()).string("error", e.error()).end();
        }
    }
}
