package ai.sandbox0.api.tenancy;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** The payload of {@code GET /users/me/ssh-keys}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SshPublicKeyList(
        List<SshPublicKey> sshKeys) {

    public SshPublicKeyList {
        sshKeys = Copies.list(sshKeys);
    }
}
