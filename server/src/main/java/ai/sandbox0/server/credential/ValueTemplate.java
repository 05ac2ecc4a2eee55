package ai.sandbox0.server.credential;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A projection's {@code valueTemplate} ({@code "Bearer {{ .token }}"}): upstream's Go {@code text/template}
 * syntax, as far as value templates use it. Literal text, and actions that print one key of the source's
 * material: {{.key}} or {{ .key }}, with Go's trim markers ({{- and -}}) too. Any other action is refused
 * when parsed. As upstream renders with {@code missingkey=error}, a key the material lacks fails the rendering.
 * Failures name the template position and the key, never a value.
 */
public final class ValueTemplate {

    /** A template this renderer does not take (malformed, or an action other than a key). */
    public static final class InvalidTemplate extends IllegalArgumentException {
        InvalidTemplate(String message) {
            super(message);
        }
    }

    /** Rendering needed a key the material does not have. */
    public static final class MissingKey extends RuntimeException {
        private final String key;

        MissingKey(String key) {
            super("value template needs key \"" + key + "\", which the credential source does not have", null,
                    false, false);
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    private sealed interface Part {
        record Text(String text) implements Part {
        }

        record Key(String name) implements Part {
        }
    }

    private final List<Part> parts;

    private ValueTemplate(List<Part> parts) {
        this.parts = List.copyOf(parts);
    }

    /** Parses {@code template}; an unclosed or unsupported action is an {@link InvalidTemplate}. */
    public static ValueTemplate parse(String template) {
        var parts = new ArrayList<Part>();
        var text = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            int open = template.indexOf("{{", i);
            if (open < 0) {
                text.append(template, i, template.length());
                break;
            }
            text.append(template, i, open);
            int close = template.indexOf("}}", open + 2);
            if (close < 0) {
                throw new InvalidTemplate("unclosed action at offset " + open);
            }
            String inside = template.substring(open + 2, close);
            // "{{- " trims the whitespace before the action, " -}}" the whitespace after it (Go needs the space).
            if (inside.length() >= 2 && inside.charAt(0) == '-' && isSpace(inside.charAt(1))) {
                trimTrailing(text);
                inside = inside.substring(2);
            }
            boolean trimAfter = false;
            if (inside.length() >= 2 && inside.charAt(inside.length() - 1) == '-'
                    && isSpace(inside.charAt(inside.length() - 2))) {
                trimAfter = true;
                inside = inside.substring(0, inside.length() - 2);
            }
            if (!text.isEmpty()) {
                parts.add(new Part.Text(text.toString()));
                text.setLength(0);
            }
            parts.add(new Part.Key(key(inside.strip(), open)));
            i = close + 2;
            if (trimAfter) {
                while (i < template.length() && isSpace(template.charAt(i))) {
                    i++;
                }
            }
        }
        if (!text.isEmpty()) {
            parts.add(new Part.Text(text.toString()));
        }
        return new ValueTemplate(parts);
    }

    /** Renders against {@code values}; a key they lack is a {@link MissingKey}. */
    public String render(Map<String, String> values) {
        var out = new StringBuilder();
        for (Part part : parts) {
            switch (part) {
                case Part.Text text -> out.append(text.text());
                case Part.Key key -> {
                    String value = values.get(key.name());
                    if (value == null) {
                        throw new MissingKey(key.name());
                    }
                    out.append(value);
                }
            }
        }
        return out.toString();
    }

    /** The keys the template prints, in order of first use. */
    public List<String> keys() {
        return parts.stream().filter(p -> p instanceof Part.Key).map(p -> ((Part.Key) p).name()).distinct().toList();
    }

    /** Parses and renders at once. */
    public static String render(String template, Map<String, String> values) {
        return parse(template).render(values);
    }

    /** {@code .name}, a Go identifier (a letter or {@code _}, then letters, digits and {@code _}). */
    private static String key(String action, int offset) {
        if (action.length() < 2 || action.charAt(0) != '.' || !identifier(action.substring(1))) {
            throw new InvalidTemplate("unsupported action at offset " + offset + ": value templates take only"
                    + " {{ .key }}");
        }
        return action.substring(1);
    }

    private static boolean identifier(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c == '_' || Character.isLetter(c) || (i > 0 && Character.isDigit(c));
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    private static void trimTrailing(StringBuilder text) {
        int end = text.length();
        while (end > 0 && isSpace(text.charAt(end - 1))) {
            end--;
        }
        text.setLength(end);
    }

    @Override
    public String toString() {
        var out = new StringBuilder();
        for (Part part : parts) {
            switch (part) {
                case Part.Text text -> out.append(text.text());
                case Part.Key key -> out.append("{{ .").append(key.name()).append(" }}");
            }
        }
        return out.toString();
    }
}
