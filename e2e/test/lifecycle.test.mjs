// Pause and resume, rootfs snapshots, restore, fork, claim from a snapshot, refresh and delete through the official SDK.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { deleteAll, newClient, rejectsWith, text } from "../support.mjs";

describe("lifecycle", { timeout: 300_000 }, () => {
  const client = newClient();
  const claimed = [];

  after(() => deleteAll(client, claimed));

  async function claim(options) {
    const sandbox = await client.sandboxes.claim("default", options);
    claimed.push(sandbox.id);
    return sandbox;
  }

  it("keeps a file written before pauseAndWait across resumeAndWait", async () => {
    const sandbox = await claim();
    await sandbox.writeFile("/root/before-pause.txt", "still here");
    await sandbox.cmd("sh -c 'mkdir -p /opt/app && echo installed > /opt/app/marker'");
    const before = await client.sandboxes.get(sandbox.id);

    const paused = await client.sandboxes.pauseAndWait(sandbox.id);
    assert.equal(paused.status, "paused");
    assert.equal(paused.paused, true);

    const resumed = await client.sandboxes.resumeAndWait(sandbox.id);
    assert.equal(resumed.status, "running");
    assert.equal(resumed.paused, false);
    assert.ok(resumed.runtimeGeneration > before.runtimeGeneration, "a resume is a new runtime generation");

    assert.equal(text(await sandbox.readFile("/root/before-pause.txt")), "still here");
    assert.equal((await sandbox.cmd("cat /opt/app/marker")).outputRaw, "installed\n");
  });

  it("resumes a paused sandbox on its own when a file is read (auto_resume)", async () => {
    const sandbox = await claim({ autoResume: true });
    await sandbox.writeFile("/root/auto.txt", "auto");
    await client.sandboxes.pauseAndWait(sandbox.id);
    assert.equal(text(await sandbox.readFile("/root/auto.txt")), "auto");
    assert.equal((await client.sandboxes.get(sandbox.id)).status, "running");
  });

  it("snapshots, restores and forks the rootfs, and claims from a snapshot", async () => {
    const source = await claim();
    const file = "/root/state.txt";
    await source.writeFile(file, "v1");
    await client.sandboxes.pauseAndWait(source.id);

    const snapshot = await client.sandboxes.createRootFSSnapshot(source.id, { name: "v1" });
    assert.ok(snapshot.id);
    assert.equal(snapshot.sandboxId, source.id);
    assert.equal(snapshot.name, "v1");
    const listed = await client.sandboxes.listRootFSSnapshots(source.id);
    assert.deepEqual(listed.map((s) => s.id), [snapshot.id]);
    assert.equal((await client.sandboxes.getRootFSSnapshot(snapshot.id)).name, "v1");

    await client.sandboxes.resumeAndWait(source.id);
    await source.writeFile(file, "v2");
    await client.sandboxes.pauseAndWait(source.id);

    const restored = await client.sandboxes.restoreRootFS(source.id, { snapshotId: snapshot.id });
    assert.equal(restored.sandboxId, source.id);
    assert.equal(restored.snapshotId, snapshot.id);
    assert.equal(restored.status, "paused");

    const forked = await client.sandboxes.fork(source.id);
    claimed.push(forked.sandbox.id);
    assert.equal(forked.sourceSandboxId, source.id);
    assert.notEqual(forked.sandbox.id, source.id);
    assert.equal(forked.sandbox.status, "paused");
    assert.equal(forked.sandbox.paused, true);

    const fromSnapshot = await claim({ snapshotId: snapshot.id });
    assert.equal(text(await fromSnapshot.readFile(file)), "v1");

    await client.sandboxes.deleteRootFSSnapshot(snapshot.id);
    await rejectsWith(client.sandboxes.getRootFSSnapshot(snapshot.id), 404, "not_found");

    // Restore and fork outlive the snapshot they came from: they share its layers, not its record.
    await client.sandboxes.resumeAndWait(source.id);
    assert.equal(text(await source.readFile(file)), "v1");
    const fork = client.sandboxes.sandbox(forked.sandbox.id);
    await client.sandboxes.resumeAndWait(fork.id);
    assert.equal(text(await fork.readFile(file)), "v1");

    // Copy on write: the fork's changes stay in the fork.
    await fork.writeFile(file, "fork");
    assert.equal(text(await source.readFile(file)), "v1");
    assert.equal(text(await fork.readFile(file)), "fork");
  });

  it("refreshes the TTL and deletes", async () => {
    const sandbox = await claim({ ttl: 600 });
    const refreshed = await client.sandboxes.refresh(sandbox.id, { duration: 1200 });
    assert.equal(refreshed.sandboxId, sandbox.id);
    const inSeconds = (refreshed.expiresAt.getTime() - Date.now()) / 1000;
    assert.ok(inSeconds > 1100 && inSeconds <= 1201, `expires in ${inSeconds} s`);

    const deleted = await client.sandboxes.delete(sandbox.id);
    assert.equal(deleted.success, true);
    await rejectsWith(client.sandboxes.get(sandbox.id), 404, "not_found");
    await rejectsWith(client.sandboxes.delete(sandbox.id), 404, "not_found");
    const listed = await client.sandboxes.list({ limit: 100 });
    assert.ok(!listed.sandboxes.some((s) => s.id === sandbox.id), "a deleted sandbox is not listed");
  });
});
