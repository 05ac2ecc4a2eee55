package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.util.List;

/** A probe that runs a command. */
public record ExecAction(
        List<String> command) {

    public ExecAction {
        command = Copies.list(command);
    }
}
