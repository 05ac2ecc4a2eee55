package ai.sandbox0.procd.rpc.file;

import ai.sandbox0.api.file.FileEntries;
import ai.sandbox0.procd.file.FileService;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;

/** GET /files/list?path=: one level, each entry lstat'ed. */
public final class ListFiles implements Rpc {

    private final FileService files;

    public ListFiles(FileService files) {
        this.files = files;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        return Reply.ok(new FileEntries(files.list(call.query("path"))));
    }
}
