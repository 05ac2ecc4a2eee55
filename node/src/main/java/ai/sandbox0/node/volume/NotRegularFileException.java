package ai.sandbox0.node.volume;

import java.nio.file.FileSystemException;

/**
 * The path is a directory, FIFO, socket or device where the file API reads or writes only regular
 * files (a FIFO would block the reader, a device would be opened on the host).
 */
public final class NotRegularFileException extends FileSystemException {

    public NotRegularFileException(String path, String reason) {
        super(path, null, reason);
    }
}
