import { describe, expect, it } from "vitest";
import { PING_PATH, waitForAppOrigin } from "../frontend/src/origin.js";

const noSleep = async () => {};

describe("waitForAppOrigin", () => {
  it("resolves once the app's origin answers its ping, without credentials", async () => {
    const asked = [];
    const answers = [new TypeError("CORS"), { ok: false }, { ok: true }];
    const fetchImpl = async (url, options) => {
      asked.push([url, options.credentials]);
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return next;
    };
    const ready = await waitForAppOrigin("http://x.alice.localhost:8000", {
      fetchImpl,
      sleep: noSleep,
    });
    expect(ready).toBe(true);
    expect(asked).toEqual(
      Array(3).fill([`http://x.alice.localhost:8000${PING_PATH}`, "omit"]),
    );
  });

  it("gives up after its attempts", async () => {
    let calls = 0;
    const fetchImpl = async () => {
      calls++;
      return { ok: false };
    };
    const ready = await waitForAppOrigin("http://x.localhost", {
      fetchImpl,
      attempts: 4,
      sleep: noSleep,
    });
    expect([ready, calls]).toEqual([false, 4]);
  });
});
