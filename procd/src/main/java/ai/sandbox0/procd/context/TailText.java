package ai.sandbox0.procd.context;

import java.util.ArrayDeque;

/**
 * The last {@code maxChars} characters of a stream, kept as the chunks that arrived, so dropping the
 * oldest part never copies the rest (a process writing gigabytes must not cost quadratic copying).
 */
final class TailText {

    private final ArrayDeque<String> chunks = new ArrayDeque<>();
    private final long maxChars;
    private long chars;
    private boolean truncated;

    TailText(long maxChars) {
        this.maxChars = maxChars;
    }

    void append(String s) {
        if (s.isEmpty()) {
            return;
        }
        chunks.addLast(s);
        chars += s.length();
        while (chars > maxChars && chunks.size() > 1) {
            chars -= chunks.removeFirst().length();
            truncated = true;
        }
    }

    boolean endsWith(String suffix) {
        if (suffix == null || suffix.isEmpty() || chunks.isEmpty()) {
            return false;
        }
        String last = chunks.getLast();
        if (last.length() >= suffix.length()) {
            return last.endsWith(suffix);
        }
        return toString().endsWith(suffix);
    }

    boolean truncated() {
        return truncated;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder((int) Math.min(chars, Integer.MAX_VALUE - 8));
        chunks.forEach(sb::append);
        String s = sb.toString();
        return s.length() > maxChars ? s.substring((int) (s.length() - maxChars)) : s;
    }
}
