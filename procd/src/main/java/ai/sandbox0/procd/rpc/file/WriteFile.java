package ai.sandbox0.procd.rpc.file;

import ai.sandbox0.api.common.Created;
import ai.sandbox0.api.common.Written;
import ai.sandbox0.procd.file.FileService;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;

/** POST /files?path=: write the body; with {@code mkdir=true} (literally) make a directory instead → 201. */
public final class WriteFile implements Rpc {

    private final FileService files;

    public WriteFile(FileService files) {
        this.files = files;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        String path = call.query("path");
        if (call.flag("mkdir")) {
            files.mkdir(path, call.flag("recursive"));
            return Reply.created(new Created(true));
        }
        files.write(path, call.body(), call.contentLength());
        return Reply.ok(new Written(true));
    }
}
