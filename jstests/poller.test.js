import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createPoller } from "../frontend/src/poller.js";

function fakeDocument(state = "visible") {
  const target = new EventTarget();
  target.visibilityState = state;
  target.show = (next) => {
    target.visibilityState = next;
    target.dispatchEvent(new Event("visibilitychange"));
  };
  return target;
}

describe("createPoller", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("polls at once, then every interval, faster when asked", async () => {
    const task = vi.fn(async () => {});
    let interval = 3000;
    const poller = createPoller(task, { interval: () => interval, doc: fakeDocument() });
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2999);
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(task).toHaveBeenCalledTimes(2);
    interval = 1000;
    poller.reschedule();
    await vi.advanceTimersByTimeAsync(1000);
    expect(task).toHaveBeenCalledTimes(3);
    poller.stop();
    await vi.advanceTimersByTimeAsync(10000);
    expect(task).toHaveBeenCalledTimes(3);
  });

  it("rests while the page is hidden and catches up when it shows", async () => {
    const task = vi.fn(async () => {});
    const doc = fakeDocument();
    const poller = createPoller(task, { interval: () => 3000, doc });
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    doc.show("hidden");
    await vi.advanceTimersByTimeAsync(60000);
    expect(task).toHaveBeenCalledTimes(1);
    doc.show("visible");
    await vi.advanceTimersByTimeAsync(0);
    expect(task).toHaveBeenCalledTimes(2);
    poller.stop();
  });

  it("never runs two polls at once; one asked for meanwhile follows", async () => {
    let finish;
    const task = vi.fn(() => new Promise((resolve) => (finish = resolve)));
    const poller = createPoller(task, { interval: () => 3000, doc: fakeDocument() });
    poller.start();
    poller.now();
    poller.now();
    expect(task).toHaveBeenCalledTimes(1);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(task).toHaveBeenCalledTimes(2);
    finish();
    poller.stop();
  });
});
