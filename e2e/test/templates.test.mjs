// Templates CRUD through the official SDK, and a claim from a created template.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { APIError } from "sandbox0";
import { deleteAll, newClient, rejectsWith } from "../support.mjs";

describe("templates", { timeout: 180_000 }, () => {
  const client = newClient();
  const templateId = `sdk-e2e-${process.pid}-${Date.now().toString(36)}`;
  const claimed = [];

  after(async () => {
    await deleteAll(client, claimed);
    try {
      await client.templates.delete(templateId);
    } catch (e) {
      if (!(e instanceof APIError && e.statusCode === 404)) {
        throw e;
      }
    }
  });

  it("lists and gets the builtin default template", async () => {
    const templates = await client.templates.list();
    const builtin = templates.find((t) => t.templateId === "default");
    assert.ok(builtin, JSON.stringify(templates.map((t) => t.templateId)));
    assert.equal(builtin.scope, "public");
    const got = await client.templates.get("default");
    assert.ok(got.spec.mainContainer.image);
    assert.ok(got.spec.mainContainer.resources.memory);
    assert.ok(got.status.idleCount >= 0 && got.status.activeCount >= 0, JSON.stringify(got.status));
  });

  it("creates, gets, updates, lists, claims from and deletes a template", async () => {
    const base = (await client.templates.get("default")).spec;
    // The SDK's ResourceQuota has no cpu: what is sent is memory only and the server derives cpu from it.
    const spec = {
      ...base,
      displayName: "SDK e2e",
      description: "created by the SDK end-to-end tests",
      tags: ["e2e"],
      mainContainer: { ...base.mainContainer, resources: { memory: "1Gi" } },
      pool: { minIdle: 0, maxIdle: 1 },
    };
    const created = await client.templates.create({ templateId, spec });
    assert.equal(created.templateId, templateId);
    assert.equal(created.scope, "team");
    assert.equal(created.spec.displayName, "SDK e2e");
    assert.equal(created.spec.mainContainer.resources.memory, "1Gi");
    assert.deepEqual(created.spec.pool, { minIdle: 0, maxIdle: 1 });

    const got = await client.templates.get(templateId);
    assert.equal(got.spec.description, spec.description);
    assert.deepEqual(got.spec.tags, ["e2e"]);

    const updated = await client.templates.update(templateId, {
      spec: { ...got.spec, description: "updated by the SDK", pool: { minIdle: 0, maxIdle: 2 } },
    });
    assert.equal(updated.spec.description, "updated by the SDK");
    assert.equal(updated.spec.pool.maxIdle, 2);
    assert.ok(updated.updatedAt.getTime() >= created.updatedAt.getTime());

    const listed = await client.templates.list();
    assert.ok(listed.some((t) => t.templateId === templateId && t.spec.description === "updated by the SDK"));

    const sandbox = await client.sandboxes.claim(templateId);
    claimed.push(sandbox.id);
    assert.equal(sandbox.template, templateId);
    assert.equal((await sandbox.cmd("echo from-template")).outputRaw, "from-template\n");
    await deleteAll(client, [sandbox.id]);

    const deleted = await client.templates.delete(templateId);
    assert.equal(deleted.success, true);
    await rejectsWith(client.templates.get(templateId), 404, "not_found");
    assert.ok(!(await client.templates.list()).some((t) => t.templateId === templateId));
  });

  it("refuses an invalid template with the server's validation error", async () => {
    await rejectsWith(client.templates.create({
      templateId: "Not A Valid Id",
      spec: { mainContainer: { image: "default", resources: { memory: "1Gi" } } },
    }), 400, "bad_request");
  });
});
