// Volumes through the official SDK: create, files, snapshots, restore, fork, tar import and delete.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { APIError } from "sandbox0";
import { newClient, rejectsWith, text } from "../support.mjs";

/** A tar archive of regular files (ustar), as a deploy step would upload it. */
function tar(files) {
  const blocks = [];
  for (const [name, content] of Object.entries(files)) {
    const body = Buffer.from(content);
    const header = Buffer.alloc(512);
    header.write(name, 0, 100, "ascii");
    header.write("0000644\0", 100, "ascii");
    header.write("0000000\0", 108, "ascii");
    header.write("0000000\0", 116, "ascii");
    header.write(body.length.toString(8).padStart(11, "0") + "\0", 124, "ascii");
    header.write("14544205400\0", 136, "ascii");
    header.fill(" ", 148, 156);
    header.write("0", 156, "ascii");
    header.write("ustar\0", 257, "ascii");
    header.write("00", 263, "ascii");
    let sum = 0;
    for (const b of header) sum += b;
    header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return new Uint8Array(Buffer.concat(blocks));
}

describe("volumes", { timeout: 180_000 }, () => {
  const client = newClient();
  const made = [];

  async function create(request = {}) {
    const volume = await client.volumes.create(request);
    made.push(volume.id);
    return volume;
  }

  after(async () => {
    for (const id of made.reverse()) {
      try {
        await client.volumes.delete(id);
      } catch (e) {
        if (!(e instanceof APIError && e.statusCode === 404)) {
          throw e;
        }
      }
    }
  });

  it("creates, lists, gets and deletes a volume", async () => {
    const volume = await create({});
    assert.match(volume.id, /^[0-9a-f-]{36}$/);
    assert.equal(volume.accessMode, "RWO");
    assert.equal(volume.defaultPosixUid, 0);
    assert.equal(volume.sourceVolumeId, undefined);
    assert.ok(volume.createdAt instanceof Date && !Number.isNaN(volume.createdAt.getTime()));
    assert.ok((await client.volumes.list()).some((v) => v.id === volume.id));
    assert.equal((await client.volumes.get(volume.id)).id, volume.id);
    assert.equal((await client.volumes.delete(volume.id)).success, true);
    await rejectsWith(client.volumes.get(volume.id), 404, "not_found");
  });

  it("writes, reads, stats, lists, moves and deletes files", async () => {
    const volume = await create({ defaultPosixUid: 1000, defaultPosixGid: 1000 });
    await client.volumes.writeFile(volume.id, "/docs/readme.txt", "hello volume\n");
    assert.equal(text(await client.volumes.readFile(volume.id, "/docs/readme.txt")), "hello volume\n");

    const bytes = new Uint8Array(70_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
    await client.volumes.writeFile(volume.id, "/bin/blob", bytes);
    assert.ok(Buffer.from(await client.volumes.readFile(volume.id, "/bin/blob")).equals(Buffer.from(bytes)));

    const stat = await client.volumes.statFile(volume.id, "/docs/readme.txt");
    assert.equal(stat.type, "file");
    assert.equal(stat.size, 13);
    assert.equal(stat.path, "/docs/readme.txt");
    assert.deepEqual((await client.volumes.listFiles(volume.id, "/docs")).map((e) => e.name), ["readme.txt"]);

    assert.equal((await client.volumes.mkdir(volume.id, "/a/b", true)).success, true);
    await client.volumes.moveFile(volume.id, "/docs/readme.txt", "/a/b/r.txt");
    assert.equal(text(await client.volumes.readFile(volume.id, "/a/b/r.txt")), "hello volume\n");
    await rejectsWith(client.volumes.readFile(volume.id, "/docs/readme.txt"), 404, "not_found");
    await client.volumes.deleteFile(volume.id, "/a");
    await rejectsWith(client.volumes.statFile(volume.id, "/a/b/r.txt"), 404, "not_found");
  });

  it("imports a tar archive", async () => {
    const volume = await create();
    const counts = await client.volumes.importArchive(volume.id, "/app",
      tar({ "main.py": "print('hi')\n", "lib/util.py": "X = 1\n" }));
    assert.equal(counts.files, 2);
    assert.equal(counts.bytes, 18);
    assert.equal(text(await client.volumes.readFile(volume.id, "/app/lib/util.py")), "X = 1\n");
  });

  it("snapshots, restores (twice) and deletes a snapshot", async () => {
    const volume = await create();
    await client.volumes.writeFile(volume.id, "/state.txt", "A");
    const snapshot = await client.volumes.createSnapshot(volume.id, { name: "v1", description: "first" });
    assert.equal(snapshot.volumeId, volume.id);
    assert.equal(snapshot.name, "v1");
    // The logical size is measured by the snapshot's seal, which follows the answer.
    assert.ok(snapshot.sizeBytes === 0 || snapshot.sizeBytes === 1, `size ${snapshot.sizeBytes}`);
    for (let i = 0; i < 300 && (await client.volumes.getSnapshot(volume.id, snapshot.id)).sizeBytes !== 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal((await client.volumes.getSnapshot(volume.id, snapshot.id)).sizeBytes, 1);
    assert.match(String(snapshot.createdAt), /Z$/);
    assert.deepEqual((await client.volumes.listSnapshots(volume.id)).map((s) => s.id), [snapshot.id]);
    assert.equal((await client.volumes.getSnapshot(volume.id, snapshot.id)).name, "v1");

    for (const round of [1, 2]) {
      await client.volumes.writeFile(volume.id, "/state.txt", `B${round}`);
      await client.volumes.writeFile(volume.id, `/after-${round}.txt`, "later");
      await client.volumes.restoreSnapshot(volume.id, snapshot.id);
      assert.equal(text(await client.volumes.readFile(volume.id, "/state.txt")), "A");
      await rejectsWith(client.volumes.statFile(volume.id, `/after-${round}.txt`), 404, "not_found");
    }

    await client.volumes.deleteSnapshot(volume.id, snapshot.id);
    await client.volumes.deleteSnapshot(volume.id, snapshot.id);
    assert.deepEqual(await client.volumes.listSnapshots(volume.id), []);
    assert.equal(text(await client.volumes.readFile(volume.id, "/state.txt")), "A");
  });

  it("forks a volume and creates one from a snapshot, each apart from its source", async () => {
    const source = await create({ defaultPosixUid: 1000, defaultPosixGid: 1000 });
    await client.volumes.writeFile(source.id, "/shared.txt", "original");
    const fork = await client.volumes.fork(source.id);
    made.push(fork.id);
    assert.equal(fork.sourceVolumeId, source.id);
    assert.equal(fork.accessMode, "RWO");
    assert.equal(fork.defaultPosixUid, 1000);
    await client.volumes.writeFile(fork.id, "/shared.txt", "fork");
    await client.volumes.writeFile(source.id, "/source-only.txt", "s");
    assert.equal(text(await client.volumes.readFile(source.id, "/shared.txt")), "original");
    assert.equal(text(await client.volumes.readFile(fork.id, "/shared.txt")), "fork");
    await rejectsWith(client.volumes.statFile(fork.id, "/source-only.txt"), 404, "not_found");

    const snapshot = await client.volumes.createSnapshot(fork.id, { name: "of-fork" });
    const copy = await create({ snapshotId: snapshot.id });
    assert.equal(copy.sourceVolumeId, fork.id);
    assert.equal(text(await client.volumes.readFile(copy.id, "/shared.txt")), "fork");
    await client.volumes.writeFile(copy.id, "/shared.txt", "copy");
    assert.equal(text(await client.volumes.readFile(fork.id, "/shared.txt")), "fork");

    await rejectsWith(client.volumes.fork(source.id, { accessMode: "BAD" }), 400, "bad_request");
  });
});
