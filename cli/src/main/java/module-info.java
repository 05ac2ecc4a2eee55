/** The {@code s0} binary: {@code s0 server} and the host check. */
module ai.sandbox0.cli {
    requires ai.sandbox0.server;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires info.picocli;

    opens ai.sandbox0.cli to info.picocli;
    opens ai.sandbox0.cli.host to info.picocli;
}
