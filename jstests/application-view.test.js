import { flushPromises } from "@vue/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError } from "../frontend/src/api.js";
import { createApplicationsStore } from "../frontend/src/applications.js";
import ApplicationView from "../frontend/src/views/ApplicationView.vue";
import { application, container, fakeApi, fakeRouter, mountWith } from "./helpers.js";

function deferred() {
  let resolve;
  const promise = new Promise((res) => (resolve = res));
  return { promise, resolve };
}

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const DESKTOP = application({
  configurables: [
    { name: "resolution", minimum: "640x480", maximum: "7680x4320" },
    { name: "startupdata" },
  ],
  policy: { workspace: true, volume: { target: "/data", mode: "ro" }, license: true, allow_view: false },
});

async function mountApp(api, { router } = {}) {
  const store = createApplicationsStore(api, { readyPause: 30, startOptions: { pollInterval: 0 } });
  await store.refresh();
  const mounted = mountWith(ApplicationView, {
    api,
    store,
    router,
    props: { mappingId: "m1" },
    attachTo: document.body,
  });
  await flushPromises();
  return mounted;
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("the application view", () => {
  it("shows the details and the policy in plain words", async () => {
    const { wrapper } = await mountApp(fakeApi({ "GET applications": { items: [DESKTOP] } }));
    expect(wrapper.get("h1").text()).toBe("Desktop");
    expect(wrapper.text()).toContain("Your workspace is mounted at /workspace");
    expect(wrapper.text()).toContain("A data folder is mounted at /data (read-only)");
    expect(wrapper.text()).toContain("A licence is provided");
    expect(wrapper.get('[data-testid="state-badge"]').text()).toBe("stopped");
    expect(wrapper.find('[data-testid="startupdata"]').exists()).toBe(true);
    expect(wrapper.get('[data-testid="back"]').attributes("href")).toBe("#/");
  });

  it("starts step by step, then shows the app in a frame", async () => {
    const post = deferred();
    let listed = [];
    const api = fakeApi({
      "GET applications": { items: [DESKTOP] },
      "POST containers": () => post.promise,
      "GET containers": () => ({ items: listed }),
    });
    const { wrapper, layout } = await mountApp(api);

    await wrapper.get('[data-testid="resolution"]').setValue("1280x800");
    await wrapper.get('[data-testid="startupdata"]').setValue("case1.vtk");
    await wrapper.get('[data-testid="start-button"]').trigger("submit");
    await flushPromises();
    expect(wrapper.get('[data-testid="progress"]').text()).toContain("Creating the container");
    expect(wrapper.get('[data-testid="state-badge"]').text()).toBe("starting");
    expect(api.calls.find((c) => c.method === "POST").arg).toEqual({
      mapping_id: "m1",
      configurables: { resolution: "1280x800", startupdata: "case1.vtk" },
    });

    listed = [container({ state: "running" })];
    await wait(5);
    await flushPromises();
    expect(wrapper.get('[data-testid="progress"]').text()).toContain(
      "Waiting for the application to answer",
    );

    api.routes["GET applications"] = { items: [{ ...DESKTOP, container: container() }] };
    post.resolve(container());
    await flushPromises();
    expect(wrapper.get('[data-testid="progress"]').text()).toContain("Ready");

    await wait(40);
    await flushPromises();
    const frame = wrapper.get('[data-testid="app-frame"]');
    expect(frame.attributes("src")).toBe("/user/alice/containers/u1/");
    expect(frame.attributes("title")).toBe("Desktop");
    expect(document.activeElement).toBe(frame.element);
    expect(layout.immersive).toBe(true);
    const tab = wrapper.get('[data-testid="open-tab"]');
    expect(tab.attributes("href")).toBe("/user/alice/containers/u1/");
    expect(tab.attributes("target")).toBe("_blank");
    expect(tab.attributes("rel")).toContain("noopener");
  });

  it("shows why a start failed", async () => {
    const api = fakeApi({
      "GET applications": { items: [DESKTOP] },
      "POST containers": new ApiError("Desktop did not answer in time; its container was removed", 502),
      "GET containers": { items: [] },
    });
    const { wrapper } = await mountApp(api);
    await wrapper.get('[data-testid="start-button"]').trigger("submit");
    await flushPromises();
    expect(wrapper.get('[data-testid="error"]').text()).toContain("did not answer in time");
    expect(wrapper.get('[data-testid="state-badge"]').text()).toBe("error");
    expect(wrapper.find('[data-testid="start-button"]').exists()).toBe(true);
  });

  it("asks before stopping, and stops only on yes", async () => {
    const api = fakeApi({
      "GET applications": { items: [{ ...DESKTOP, container: container() }] },
      "DELETE containers/u1": null,
    });
    const { wrapper } = await mountApp(api);
    expect(wrapper.find('[data-testid="app-frame"]').exists()).toBe(true);

    await wrapper.get('[data-testid="stop-button"]').trigger("click");
    expect(wrapper.find('[data-testid="confirm-dialog"]').exists()).toBe(true);
    await wrapper.get('[data-testid="confirm-no"]').trigger("click");
    expect(wrapper.find('[data-testid="confirm-dialog"]').exists()).toBe(false);
    expect(api.calls.some((c) => c.method === "DELETE")).toBe(false);

    await wrapper.get('[data-testid="stop-button"]').trigger("click");
    api.routes["GET applications"] = { items: [DESKTOP] };
    await wrapper.get('[data-testid="confirm-yes"]').trigger("click");
    await flushPromises();
    expect(api.calls.filter((c) => c.method === "DELETE").map((c) => c.path)).toEqual([
      "containers/u1",
    ]);
    expect(wrapper.find('[data-testid="app-frame"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="state-badge"]').text()).toBe("stopped");
  });

  it("goes back to the list on Escape outside the frame, not while the dialog is open", async () => {
    const router = fakeRouter("#/apps/m1");
    const api = fakeApi({ "GET applications": { items: [{ ...DESKTOP, container: container() }] } });
    const { wrapper } = await mountApp(api, { router });

    await wrapper.get('[data-testid="stop-button"]').trigger("click");
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    await flushPromises();
    expect(wrapper.find('[data-testid="confirm-dialog"]').exists()).toBe(false);
    expect(router.visited).toEqual([]);

    window.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    expect(router.visited).toEqual(["#/"]);
  });
});
