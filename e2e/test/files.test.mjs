// The file API and the file-watch WebSocket through the official SDK.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { deleteAll, newClient, nextMatching, rejectsWith, text } from "../support.mjs";

describe("files", { timeout: 180_000 }, () => {
  const client = newClient();
  let sandbox;

  before(async () => {
    sandbox = await client.sandboxes.claim("default");
  });

  after(() => deleteAll(client, sandbox ? [sandbox.id] : []));

  it("writes and reads text, creating parent directories", async () => {
    const written = await sandbox.writeFile("/tmp/sdk/nested/hello.txt", "hello, sandbox\n");
    assert.equal(written.success, true);
    assert.equal(text(await sandbox.readFile("/tmp/sdk/nested/hello.txt")), "hello, sandbox\n");
    // The file is really in the sandbox, not only behind the file API.
    const cat = await sandbox.cmd("cat /tmp/sdk/nested/hello.txt");
    assert.equal(cat.outputRaw, "hello, sandbox\n");
  });

  it("round-trips binary content byte for byte", async () => {
    const bytes = new Uint8Array(64 * 1024 + 3);
    for (let i = 0; i < bytes.length; i++) {
      bytes[i] = (i * 31 + (i >> 8)) & 0xff; // every byte value, NUL and invalid UTF-8 included
    }
    await sandbox.writeFile("/tmp/sdk/blob.bin", bytes);
    const back = await sandbox.readFile("/tmp/sdk/blob.bin");
    assert.equal(back.length, bytes.length);
    assert.ok(Buffer.from(back).equals(Buffer.from(bytes)), "content differs");
    const sum = await sandbox.cmd("sha256sum /tmp/sdk/blob.bin");
    const expected = (await import("node:crypto")).createHash("sha256").update(bytes).digest("hex");
    assert.match(sum.outputRaw, new RegExp(`^${expected} `));
  });

  it("makes directories, stats, lists, moves and deletes", async () => {
    // mkdir answers {created}; the SDK reads the envelope through its {written} model, so only success is checked.
    assert.equal((await sandbox.mkdir("/tmp/sdk/dir/a/b", true)).success, true);
    await sandbox.writeFile("/tmp/sdk/dir/a/file.txt", "12345");

    const stat = await sandbox.statFile("/tmp/sdk/dir/a/file.txt");
    assert.equal(stat.name, "file.txt");
    assert.equal(stat.path, "/tmp/sdk/dir/a/file.txt");
    assert.equal(stat.type, "file");
    assert.equal(stat.size, 5);
    assert.match(stat.mode, /^0[0-7]{3}$/);
    assert.equal(stat.isLink, false);
    assert.ok(stat.modTime instanceof Date && !Number.isNaN(stat.modTime.getTime()), String(stat.modTime));
    assert.equal((await sandbox.statFile("/tmp/sdk/dir/a/b")).type, "dir");

    const entries = await sandbox.listFiles("/tmp/sdk/dir/a");
    assert.deepEqual(entries.map((e) => `${e.name}:${e.type}`).sort(), ["b:dir", "file.txt:file"]);

    await sandbox.moveFile("/tmp/sdk/dir/a/file.txt", "/tmp/sdk/dir/moved.txt");
    assert.equal(text(await sandbox.readFile("/tmp/sdk/dir/moved.txt")), "12345");
    await rejectsWith(sandbox.readFile("/tmp/sdk/dir/a/file.txt"), 404, "file_not_found");

    // Delete is recursive and idempotent.
    await sandbox.deleteFile("/tmp/sdk/dir");
    await sandbox.deleteFile("/tmp/sdk/dir");
    await rejectsWith(sandbox.statFile("/tmp/sdk/dir"), 404, "file_not_found");
  });

  it("watches a directory and sees a file created in it", async () => {
    await sandbox.mkdir("/tmp/watched", true);
    const watcher = await sandbox.watchFiles("/tmp/watched", true);
    try {
      assert.ok(watcher.watchId, "subscribed with a watch id");
      const events = watcher.events();
      // Right after watchFiles returns: the subscription must already be live.
      await sandbox.writeFile("/tmp/watched/created.txt", "new");
      const created = await nextMatching(events,
        (e) => e.type === "event" && e.path === "/tmp/watched/created.txt" && e.event === "create",
        "create event for /tmp/watched/created.txt");
      assert.equal(created.watchId, watcher.watchId);

      await sandbox.cmd("rm /tmp/watched/created.txt");
      await nextMatching(events, (e) => e.type === "event" && e.path === "/tmp/watched/created.txt" && e.event === "remove",
        "remove event for /tmp/watched/created.txt");
    } finally {
      watcher.close();
    }
  });
});
