// Shared by the tests in test/: the official SDK's Client, configured the way a user configures it.
import assert from "node:assert/strict";
import { APIError, Client } from "sandbox0";

/** A Client for the server under test: SANDBOX0_BASE_URL and SANDBOX0_TOKEN (an API key) are required. */
export function newClient() {
  const baseUrl = process.env.SANDBOX0_BASE_URL;
  const token = process.env.SANDBOX0_TOKEN;
  assert.ok(baseUrl, "SANDBOX0_BASE_URL must name the server under test");
  assert.ok(token, "SANDBOX0_TOKEN must be an API key of the server under test");
  return new Client({ baseUrl, token });
}

/** Deletes sandboxes a test claimed, even when the test failed half way; a sandbox already gone is fine. */
export async function deleteAll(client, ids) {
  for (const id of ids) {
    try {
      await client.sandboxes.delete(id);
    } catch (e) {
      if (!(e instanceof APIError && e.statusCode === 404)) {
        throw e;
      }
    }
  }
}

/** Awaits the APIError that {@code call} must fail with, and checks its status and code. */
export async function rejectsWith(call, statusCode, code) {
  await assert.rejects(call, (e) => {
    assert.ok(e instanceof APIError, `expected an APIError, got ${e}`);
    assert.equal(e.statusCode, statusCode, e.message);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

export function text(bytes) {
  return Buffer.from(bytes).toString("utf8");
}

/** The next item of an async iterator that matches, or a failure naming {@code what} after {@code ms}. */
export async function nextMatching(iterator, matches, what, ms = 15_000) {
  const seen = [];
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms; saw ${JSON.stringify(seen)}`)), ms);
  });
  try {
    while (true) {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next.done) {
        throw new Error(`stream ended before ${what}; saw ${JSON.stringify(seen)}`);
      }
      seen.push(next.value);
      if (matches(next.value)) {
        return next.value;
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Everything a context stream prints, and how it ended. */
export async function drain(stream) {
  let output = "";
  for await (const chunk of stream.outputs()) {
    output += chunk.data;
  }
  return { output, done: await stream.wait() };
}
