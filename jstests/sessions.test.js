// Time limits on the page: the event stream, the deadline and its Extend button, the
// notice of an app the culler stopped.
import { flushPromises } from "@vue/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import {
  CULLED_NOTICES,
  LIVE_POLL_INTERVAL,
  POLL_INTERVAL,
  createApplicationsStore,
} from "../frontend/src/applications.js";
import { eventsUrl, openEventStream } from "../frontend/src/events.js";
import AppCard from "../frontend/src/components/AppCard.vue";
import ApplicationView from "../frontend/src/views/ApplicationView.vue";
import { CONFIG_ALICE, application, container, fakeApi, mountWith } from "./helpers.js";

/** An EventSource the test drives: `emit(kind, data)` as the service would send it. */
class FakeEventSource {
  static opened = [];
  constructor(url) {
    this.url = url;
    this.listeners = {};
    this.closed = false;
    FakeEventSource.opened.push(this);
  }
  addEventListener(kind, listener) {
    (this.listeners[kind] ??= []).push(listener);
  }
  emit(kind, data) {
    const raw = typeof data === "string" ? data : JSON.stringify(data);
    for (const listener of this.listeners[kind] ?? []) listener({ data: raw });
  }
  fail() {
    this.onerror?.();
  }
  close() {
    this.closed = true;
  }
}

const soon = (seconds) => new Date(Date.now() + seconds * 1000).toISOString();
const hhmm = (iso) => {
  const at = new Date(iso);
  return `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
};

afterEach(() => {
  FakeEventSource.opened = [];
  document.body.innerHTML = "";
});

describe("the event stream", () => {
  it("carries the XSRF token in its address, which EventSource cannot put in a header", () => {
    expect(eventsUrl({ ...CONFIG_ALICE, xsrf_token: "2|a b" })).toBe(
      "/user/alice/api/v1/events?_xsrf=2%7Ca%20b",
    );
  });

  it("is live once the service says ready, and not after an error or close", () => {
    const seen = [];
    const live = [];
    const stream = openEventStream("/events", {
      onEvent: (event) => seen.push(event),
      onLive: (value) => live.push(value),
      EventSource: FakeEventSource,
    });
    const source = FakeEventSource.opened[0];
    source.emit("ready", {});
    source.emit("deadline", { url_id: "u1" });
    source.emit("culled", "not json");
    source.fail();
    stream.close();
    expect(seen).toEqual([
      { kind: "ready", data: {} },
      { kind: "deadline", data: { url_id: "u1" } },
    ]);
    expect(live).toEqual([true, false, false]);
    expect(source.closed).toBe(true);
  });
});

describe("the applications store with the stream", () => {
  function liveStore(api) {
    return createApplicationsStore(api, {
      readyPause: 0,
      eventsUrl: "/user/alice/api/v1/events?_xsrf=t",
      EventSource: FakeEventSource,
      doc: new EventTarget(),
    });
  }

  it("refreshes on each event, and polls seldom while the stream is live", async () => {
    let items = [application()];
    const api = fakeApi({ "GET applications": () => ({ items }) });
    const store = liveStore(api);
    store.startPolling();
    await flushPromises();
    const source = FakeEventSource.opened[0];
    expect(source.url).toBe("/user/alice/api/v1/events?_xsrf=t");
    expect(store.state.live).toBe(false);

    source.emit("ready", {});
    await flushPromises();
    expect(store.state.live).toBe(true);

    items = [application({ container: container() })];
    source.emit("containers", {});
    await flushPromises();
    expect(store.find("m1").container.url_id).toBe("u1");
    // The stream ends with the page's polling.
    store.stopPolling();
    expect(source.closed).toBe(true);
    expect(store.state.live).toBe(false);
    expect(LIVE_POLL_INTERVAL).toBeGreaterThan(POLL_INTERVAL);
  });

  it("says why the culler stopped an app, until it runs again", async () => {
    let items = [application({ container: container() })];
    const api = fakeApi({ "GET applications": () => ({ items }) });
    const store = liveStore(api);
    store.startPolling();
    await flushPromises();
    items = [application()];
    FakeEventSource.opened[0].emit("culled", { url_id: "u1", mapping_id: "m1", reason: "idle" });
    await flushPromises();
    expect(store.state.notices.m1).toBe(CULLED_NOTICES.idle);
    expect(store.find("m1").container).toBe(null);

    items = [application({ container: container({ url_id: "u2" }) })];
    await store.refresh();
    expect(store.state.notices.m1).toBeUndefined();
    store.stopPolling();
  });
});

describe("a deadline on the page", () => {
  it("shows on a card only when it is near", () => {
    const near = { at: soon(120), reason: "idle", warning: true };
    const far = { ...near, at: soon(3000), warning: false };
    const card = (deadline) =>
      mountWith(AppCard, {
        props: {
          app: application({ container: container({ deadline }) }),
          state: "running",
        },
      }).wrapper;
    const warned = card(near);
    expect(warned.get('[data-testid="deadline"]').text()).toBe(`Stops at ${hhmm(near.at)} if left unused`);
    // The card is a link: the button lives in the app's own view.
    expect(warned.find('[data-testid="extend-button"]').exists()).toBe(false);
    expect(card(far).find('[data-testid="deadline"]').exists()).toBe(false);
  });

  it("is put off by Extend, from the server's answer", async () => {
    const deadline = { at: soon(100), reason: "lifetime", warning: true };
    const later = { at: soon(3700), reason: "lifetime", warning: false };
    const running = application({ container: container({ deadline }) });
    const api = fakeApi({
      "GET applications": { items: [running] },
      "POST containers/u1/extend": () => container({ deadline: later }),
    });
    const store = createApplicationsStore(api, { readyPause: 0 });
    await store.refresh();
    const { wrapper } = mountWith(ApplicationView, { api, store, props: { mappingId: "m1" } });
    await flushPromises();
    expect(wrapper.get('[data-testid="deadline"]').text()).toBe(`Time limit: stops at ${hhmm(deadline.at)}`);

    await wrapper.get('[data-testid="extend-button"]').trigger("click");
    await flushPromises();
    expect(api.calls.filter((c) => c.method === "POST").map((c) => c.path)).toEqual([
      "containers/u1/extend",
    ]);
    expect(wrapper.get('[data-testid="deadline"]').text()).toBe(`Time limit: stops at ${hhmm(later.at)}`);
    expect(wrapper.find('[data-testid="app-frame"]').exists()).toBe(true);
  });

  it("says why an Extend was refused, and keeps the app", async () => {
    const { ApiError } = await import("../frontend/src/api.js");
    const deadline = { at: soon(100), reason: "idle", warning: true };
    const api = fakeApi({
      "GET applications": { items: [application({ container: container({ deadline }) })] },
      "POST containers/u1/extend": () =>
        new ApiError("Desktop was extended 3 times today, the most a day allows.", 429),
    });
    const store = createApplicationsStore(api, { readyPause: 0 });
    await store.refresh();
    const { wrapper } = mountWith(ApplicationView, { api, store, props: { mappingId: "m1" } });
    await flushPromises();
    await wrapper.get('[data-testid="extend-button"]').trigger("click");
    await flushPromises();
    expect(wrapper.text()).toContain("extended 3 times today");
    expect(wrapper.find('[data-testid="app-frame"]').exists()).toBe(true);
  });
});
