package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.util.List;

/** Linux capabilities to add and drop. */
public record Capabilities(
        List<String> add,
        List<String> drop) {

    public Capabilities {
        add = Copies.list(add);
        drop = Copies.list(drop);
    }
}
