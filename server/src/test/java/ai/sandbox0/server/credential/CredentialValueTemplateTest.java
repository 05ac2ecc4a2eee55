package ai.sandbox0.server.credential;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link ValueTemplate}: what Go's text/template renders for the value templates upstream documents. */
class CredentialValueTemplateTest {

    private static final Map<String, String> VALUES = Map.of("token", "t1", "user", "ada", "pass", "s3cret",
            "_under", "u", "key2", "k");

    @Test
    void keysAreSubstitutedWithOrWithoutSpacesAndTextIsKept() {
        assertThat(ValueTemplate.render("Bearer {{ .token }}", VALUES)).isEqualTo("Bearer t1");
        assertThat(ValueTemplate.render("Bearer {{.token}}", VALUES)).isEqualTo("Bearer t1");
        assertThat(ValueTemplate.render("{{ .user }}:{{ .pass }}", VALUES)).isEqualTo("ada:s3cret");
        assertThat(ValueTemplate.render("{{\t.token\n}}", VALUES)).isEqualTo("t1");
        assertThat(ValueTemplate.render("{{ ._under }}{{ .key2 }}", VALUES)).isEqualTo("uk");
        assertThat(ValueTemplate.render("no action at all", VALUES)).isEqualTo("no action at all");
        assertThat(ValueTemplate.render("", VALUES)).isEmpty();
        // A lone brace or closing pair is literal text in Go too.
        assertThat(ValueTemplate.render("{x} }} {{ .token }}", VALUES)).isEqualTo("{x} }} t1");
    }

    @Test
    void trimMarkersRemoveTheAdjacentWhitespaceAsGoDoes() {
        assertThat(ValueTemplate.render("Bearer   {{- .token -}}   !", VALUES)).isEqualTo("Bearert1!");
        assertThat(ValueTemplate.render("a \n{{- .token }} b", VALUES)).isEqualTo("at1 b");
    }

    @Test
    void aMissingKeyFailsRenderingNamingTheKeyNotAValue() {
        var template = ValueTemplate.parse("Bearer {{ .token }} {{ .nope }}");
        assertThat(template.keys()).containsExactly("token", "nope");
        assertThatThrownBy(() -> template.render(VALUES))
                .isInstanceOf(ValueTemplate.MissingKey.class)
                .hasMessageContaining("\"nope\"")
                .hasMessageNotContaining("t1")
                .satisfies(e -> assertThat(((ValueTemplate.MissingKey) e).key()).isEqualTo("nope"));
        // Keys are case-sensitive, as Go's map lookups.
        assertThatThrownBy(() -> ValueTemplate.render("{{ .Token }}", VALUES)).isInstanceOf(ValueTemplate.MissingKey.class);
    }

    @Test
    void actionsBeyondAKeyAreRefusedWhenParsed() {
        for (String template : new String[] {"{{ .token", "{{ }}", "{{ . }}", "{{ token }}", "{{ .a.b }}",
                "{{ .a-b }}", "{{ printf \"%s\" .token }}", "{{ .token | html }}", "{{-.token}}", "{{ .1a }}",
                "{{/* note */}}", "{{ index . \"token\" }}"}) {
            assertThatThrownBy(() -> ValueTemplate.parse(template)).as(template)
                    .isInstanceOf(ValueTemplate.InvalidTemplate.class);
        }
    }
}
