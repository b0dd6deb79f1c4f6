import { describe, expect, it } from "vitest";
import { ApiError } from "../frontend/src/api.js";
import { createApplicationsStore } from "../frontend/src/applications.js";
import { START_STEPS, startApplication } from "../frontend/src/start.js";
import { application, container, fakeApi } from "./helpers.js";

/** A promise and its resolve/reject, to let a test decide when the POST answers. */
function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("startApplication", () => {
  it("goes create → wait (once the container shows) → ready", async () => {
    const post = deferred();
    let listed = [];
    const api = fakeApi({
      "POST containers": () => post.promise,
      "GET containers": () => ({ items: listed }),
    });
    const steps = [];
    const started = startApplication(api, "m1", { resolution: "1280x800" }, {
      onStep: (step) => steps.push(step),
      pollInterval: 0,
    });

    await tick();
    expect(steps).toEqual(["create"]);
    expect(api.calls[0]).toEqual({
      method: "POST",
      path: "containers",
      arg: { mapping_id: "m1", configurables: { resolution: "1280x800" } },
    });

    listed = [container({ mapping_id: "other" })];
    await tick();
    expect(steps).toEqual(["create"]);

    listed = [container({ state: "created" })];
    await tick();
    await tick();
    expect(steps).toEqual(["create", "wait"]);

    post.resolve(container());
    expect(await started).toEqual(container());
    expect(steps).toEqual(["create", "wait", "ready"]);
    expect(START_STEPS.map((s) => s.label)).toEqual([
      "Creating the container",
      "Waiting for the application to answer",
      "Ready",
    ]);
  });

  it("stops looking once the POST has answered, and rejects with its error", async () => {
    const api = fakeApi({
      "POST containers": new ApiError("the application did not come up", 502),
      "GET containers": { items: [container()] },
    });
    const steps = [];
    await expect(
      startApplication(api, "m1", undefined, { onStep: (s) => steps.push(s), pollInterval: 0 }),
    ).rejects.toThrow("did not come up");
    await tick();
    await tick();
    expect(steps).toEqual(["create"]);
  });
});

describe("the applications store", () => {
  it("starts: badge starting, then running with the container", async () => {
    const post = deferred();
    const api = fakeApi({
      "GET applications": { items: [application()] },
      "POST containers": () => post.promise,
      "GET containers": { items: [] },
    });
    const store = createApplicationsStore(api, { readyPause: 0, startOptions: { pollInterval: 0 } });
    await store.refresh();
    const app = () => store.find("m1");
    expect(store.stateOf(app())).toBe("stopped");

    const starting = store.start("m1", {});
    expect(store.stateOf(app())).toBe("starting");
    expect(store.state.progress.m1).toBe("create");

    post.resolve(container());
    await starting;
    expect(store.stateOf(app())).toBe("running");
    expect(app().container.url).toBe("/user/alice/containers/u1/");
  });

  it("keeps the failure's message and shows the badge as error", async () => {
    const api = fakeApi({
      "GET applications": { items: [application()] },
      "POST containers": new ApiError("the resolution 1x1 is outside 640x480 to 7680x4320", 400),
      "GET containers": { items: [] },
    });
    const store = createApplicationsStore(api, { startOptions: { pollInterval: 0 } });
    await store.refresh();
    await store.start("m1", { resolution: "1x1" });
    expect(store.stateOf(store.find("m1"))).toBe("error");
    expect(store.state.failures.m1).toMatch("outside 640x480");
    expect(store.state.progress.m1).toBeUndefined();
  });

  it("stops: DELETE of the container, then stopped", async () => {
    const api = fakeApi({
      "GET applications": { items: [application({ container: container({ url_id: "u/1" }) })] },
      "DELETE containers/u%2F1": null,
    });
    const store = createApplicationsStore(api);
    await store.refresh();
    expect(store.stateOf(store.find("m1"))).toBe("running");
    const stopping = store.stop("m1");
    expect(store.stateOf(store.find("m1"))).toBe("stopping");
    await stopping;
    expect(store.stateOf(store.find("m1"))).toBe("stopped");
  });

  it("drops a poll that was sent before a stop ended", async () => {
    const slow = deferred();
    const api = fakeApi({
      "GET applications": () => slow.promise,
      "DELETE containers/u1": null,
    });
    const store = createApplicationsStore(api);
    store.state.items = [application({ container: container() })];
    store.state.loaded = true;
    const polling = store.refresh(); // sent while the app ran
    await store.stop("m1");
    slow.resolve({ items: [application({ container: container() })] });
    await polling;
    expect(store.stateOf(store.find("m1"))).toBe("stopped");
  });
});
