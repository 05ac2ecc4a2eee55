package ai.sandbox0.procd.rpc.file;

import ai.sandbox0.api.common.Moved;
import ai.sandbox0.api.file.MoveFileRequest;
import ai.sandbox0.procd.file.FileService;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;

/** POST /files/move {source, destination}: a rename; destination parents are created. */
public final class MoveFile implements Rpc {

    private final FileService files;

    public MoveFile(FileService files) {
        this.files = files;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        var req = call.json(MoveFileRequest.class);
        files.move(req.source(), req.destination());
        return Reply.ok(new Moved(true));
    }
}
