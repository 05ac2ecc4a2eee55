package ai.sandbox0.procd.rpc.file;

import ai.sandbox0.procd.file.FileService;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;

/** GET /files/stat?path=: lstat as FileInfo. */
public final class StatFile implements Rpc {

    private final FileService files;

    public StatFile(FileService files) {
        this.files = files;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        return Reply.ok(files.stat(call.query("path")));
    }
}
