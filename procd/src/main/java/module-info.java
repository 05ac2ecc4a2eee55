/**
 * The agent inside every sandbox. Compiled as a module so its dependencies stay what they are (the
 * wire records, avaje-json, the JDK's HTTP server); procd.jar itself runs from the class path.
 */
module ai.sandbox0.procd {
    requires ai.sandbox0.api;
    requires io.avaje.json;
    requires jdk.httpserver;
}
