// Network policy and credential sources through the official SDK, unmodified: getNetworkPolicy/updateNetworkPolicy on a
// sandbox handle, credentialSources CRUD, and a binding that pins a source (deleting it is refused while bound).
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { deleteAll, newClient, rejectsWith } from "../support.mjs";

describe("network policy and credential sources", { timeout: 300_000 }, () => {
  const client = newClient();
  const claimed = [];
  const source = `e2e-token-${process.pid}`;

  after(async () => {
    await deleteAll(client, claimed);
    await client.credentialSources.delete(source);
  });

  it("reads and replaces a running sandbox's policy", async () => {
    const sandbox = await client.sandboxes.claim("default", {
      network: { mode: "block-all", egress: { trafficRules: [{ name: "gh", action: "allow", domains: ["*.github.com"] }] } },
    });
    claimed.push(sandbox.id);
    const policy = await sandbox.getNetworkPolicy();
    assert.equal(policy.mode, "block-all");
    assert.deepEqual(policy.egress.trafficRules.map((r) => r.name), ["gh"]);

    const updated = await sandbox.updateNetworkPolicy({
      mode: "allow-all",
      egress: { trafficRules: [{ name: "no-meta", action: "deny", cidrs: ["192.0.2.0/24"], ports: [{ port: 80, protocol: "tcp" }] }] },
    });
    assert.equal(updated.mode, "allow-all");
    assert.equal((await sandbox.getNetworkPolicy()).egress.trafficRules[0].cidrs[0], "192.0.2.0/24");

    await rejectsWith(
      () => sandbox.updateNetworkPolicy({ mode: "block-all", egress: { trafficRules: [{ action: "allow" }] } }),
      400,
      "bad_request",
    );
  });

  it("keeps credential sources write-only and refuses to delete a bound one", async () => {
    const created = await client.credentialSources.create({
      name: source,
      resolverKind: "static_headers",
      spec: { staticHeaders: { values: { token: "e2e-secret-value" } } },
    });
    assert.equal(created.name, source);
    assert.equal(created.currentVersion, 1);
    assert.equal(created.status, "active");
    assert.ok(!JSON.stringify(created).includes("e2e-secret-value"));
    assert.ok((await client.credentialSources.list()).some((s) => s.name === source));

    const updated = await client.credentialSources.update(source, {
      resolverKind: "static_headers",
      spec: { staticHeaders: { values: { token: "rotated-secret" } } },
    });
    assert.equal(updated.currentVersion, 2);
    assert.ok(!JSON.stringify(await client.credentialSources.get(source)).includes("rotated-secret"));

    const sandbox = await client.sandboxes.claim("default");
    claimed.push(sandbox.id);
    const bound = await sandbox.updateNetworkPolicy({
      mode: "allow-all",
      credentialBindings: [
        {
          ref: "api",
          sourceRef: source,
          projection: { type: "http_headers", httpHeaders: { headers: [{ name: "Authorization", valueTemplate: "Bearer {{ .token }}" }] } },
        },
      ],
    });
    assert.equal(bound.credentialBindings[0].sourceRef, source);
    await rejectsWith(() => client.credentialSources.delete(source), 409, "conflict");

    await sandbox.updateNetworkPolicy({ mode: "allow-all", credentialBindings: [] });
    await client.credentialSources.delete(source);
    await rejectsWith(() => client.credentialSources.get(source), 404, "not_found");
  });
});
