package ai.sandbox0.procd.context;

import java.util.List;
import java.util.Objects;

/**
 * Removes prompt tokens from REPL output, also when a token arrives split over two reads (CPython's
 * readline writes the first prompt byte on its own). A trailing piece that could be the start of a
 * token is held back until the next chunk, or until {@link #flush} when no chunk follows.
 */
final class PromptFilter {

    private final List<String> tokens;
    private String held = "";

    PromptFilter(String... tokens) {
        this.tokens = java.util.Arrays.stream(tokens).filter(Objects::nonNull).filter(t -> !t.isEmpty()).toList();
    }

    String feed(String chunk) {
        String text = held + chunk;
        for (String t : tokens) {
            text = text.replace(t, "");
        }
        int keep = partialTokenSuffix(text);
        held = text.substring(text.length() - keep);
        return text.substring(0, text.length() - keep);
    }

    boolean holding() {
        return !held.isEmpty();
    }

    String flush() {
        String h = held;
        held = "";
        return h;
    }

    private int partialTokenSuffix(String text) {
        int best = 0;
        for (String t : tokens) {
            for (int n = Math.min(t.length() - 1, text.length()); n > best; n--) {
                if (text.regionMatches(text.length() - n, t, 0, n)) {
                    best = n;
                    break;
                }
            }
        }
        return best;
    }
}
