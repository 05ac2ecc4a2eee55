package ai.sandbox0.procd.rpc.file;

import ai.sandbox0.api.common.Deleted;
import ai.sandbox0.procd.file.FileService;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;

/** DELETE /files?path=: recursive; a missing path is success too. */
public final class DeleteFile implements Rpc {

    private final FileService files;

    public DeleteFile(FileService files) {
        this.files = files;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        files.delete(call.query("path"));
        return Reply.ok(new Deleted(true));
    }
}
