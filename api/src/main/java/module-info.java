/** The wire contract: request and response records with their JSON casing, the envelope, error codes. */
module ai.sandbox0.api {
    requires transitive com.fasterxml.jackson.annotation;
    requires transitive com.fasterxml.jackson.core;
    requires transitive com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.datatype.jsr310;

    exports ai.sandbox0.api;
    exports ai.sandbox0.api.auth;
    exports ai.sandbox0.api.common;
    exports ai.sandbox0.api.context;
    exports ai.sandbox0.api.credential;
    exports ai.sandbox0.api.file;
    exports ai.sandbox0.api.health;
    exports ai.sandbox0.api.network;
    exports ai.sandbox0.api.sandbox;
    exports ai.sandbox0.api.service;
    exports ai.sandbox0.api.snapshot;
    exports ai.sandbox0.api.template;
    exports ai.sandbox0.api.tenancy;
    exports ai.sandbox0.api.volume;
}
