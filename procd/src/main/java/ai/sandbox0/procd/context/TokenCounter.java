package ai.sandbox0.procd.context;

/** Counts occurrences of a prompt token in a stream of text chunks, also across chunk borders. */
final class TokenCounter {

    private final String token;
    private String tail = "";

    TokenCounter(String token) {
        this.token = token;
    }

    int feed(String chunk) {
        if (token == null || token.isEmpty()) {
            return 0;
        }
        String text = tail + chunk;
        int count = 0;
        for (int i = text.indexOf(token); i >= 0; i = text.indexOf(token, i + token.length())) {
            if (i + token.length() > tail.length()) { // not wholly inside the already-counted tail
                count++;
            }
        }
        int keep = Math.min(text.length(), token.length() - 1);
        tail = text.substring(text.length() - keep);
        return count;
    }
}
