// Sharing a running app: the owner's share panel, the dashboard's "Shared with me",
// the admin list of shares, and the applications store passing events on to those
// who subscribed to them.
import { flushPromises } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../frontend/src/api.js";
import { createApplicationsStore } from "../frontend/src/applications.js";
import PolicyFields from "../frontend/src/components/PolicyFields.vue";
import AdminView from "../frontend/src/views/AdminView.vue";
import ApplicationView from "../frontend/src/views/ApplicationView.vue";
import DashboardView from "../frontend/src/views/DashboardView.vue";
import AdminShares from "../frontend/src/views/admin/AdminShares.vue";
import { CONFIG_ALICE, application, container, fakeApi, mountWith } from "./helpers.js";

/** An EventSource the test drives: `emit(kind, data)` as the service would send it. */
class FakeEventSource {
  static opened = [];
  constructor(url) {
    this.url = url;
    this.listeners = {};
    FakeEventSource.opened.push(this);
  }
  addEventListener(kind, listener) {
    (this.listeners[kind] ??= []).push(listener);
  }
  emit(kind, data) {
    for (const listener of this.listeners[kind] ?? []) listener({ data: JSON.stringify(data) });
  }
  close() {}
}

const liveStore = (api) =>
  createApplicationsStore(api, {
    readyPause: 0,
    eventsUrl: "/user/alice/api/v1/events?_xsrf=t",
    EventSource: FakeEventSource,
    doc: new EventTarget(),
  });

// Late today, so that the list says a time of day whenever the test runs.
const TONIGHT = (() => {
  const at = new Date();
  at.setHours(23, 59, 0, 0);
  return at.toISOString();
})();

const share = (id, extra = {}) => ({
  id,
  url_id: "u1",
  mapping_id: "m1",
  owner: "alice",
  kind: "user",
  name: "bob",
  permission: "view",
  via: null,
  created_at: "2026-12-06T01:00:00+00:00",
  expires_at: TONIGHT,
  link: null,
  ...extra,
});

const SHARES = [
  share("s1"),
  share("s2", { kind: "group", name: "operators", permission: "control" }),
  share("s3", { kind: "link", name: null }),
  share("s4", { name: "carol", via: "s3", expires_at: "2099-01-02T10:00:00+00:00" }),
];

const RUNNING = application({
  type: "vncapp",
  container: container(),
  share_permissions: ["view", "control"],
});

const calls = (api, method, path) => api.calls.filter((c) => c.method === method && c.path === path);

async function openPanel(api, app = RUNNING) {
  api.routes["GET applications"] ??= { items: [app] };
  const store = liveStore(api);
  store.startPolling();
  await flushPromises();
  FakeEventSource.opened.at(-1).emit("ready", {});
  await flushPromises();
  const { wrapper } = mountWith(ApplicationView, { api, store, props: { mappingId: "m1" }, attachTo: document.body });
  await flushPromises();
  await wrapper.get('[data-testid="share-button"]').trigger("click");
  await flushPromises();
  return { wrapper, store, source: FakeEventSource.opened.at(-1) };
}

afterEach(() => {
  FakeEventSource.opened = [];
  document.body.innerHTML = "";
  delete navigator.clipboard;
});

describe("the applications store's events", () => {
  it("calls those subscribed to a kind, until they unsubscribe", async () => {
    const api = fakeApi({ "GET applications": { items: [] } });
    const store = liveStore(api);
    store.startPolling();
    await flushPromises();
    const source = FakeEventSource.opened[0];
    const heard = [];
    const stop = store.onEvent("shares", (data) => heard.push(data));
    store.onEvent("shares", () => {
      throw new Error("a broken listener");
    });
    store.onEvent("shared", (data) => heard.push({ shared: data }));
    const polls = calls(api, "GET", "applications").length;

    source.emit("shares", { url_id: "u1" });
    source.emit("shared", {});
    await flushPromises();
    expect(heard).toEqual([{ url_id: "u1" }, { shared: {} }]);
    // Sharing changes nothing in the applications list: it is not read again.
    expect(calls(api, "GET", "applications")).toHaveLength(polls);

    stop();
    source.emit("shares", { url_id: "u2" });
    expect(heard).toHaveLength(2);
    // The other kinds still refresh the list, and reach their listeners.
    store.onEvent("containers", (data) => heard.push(data));
    source.emit("containers", { url_id: "u3" });
    await flushPromises();
    expect(heard.at(-1)).toEqual({ url_id: "u3" });
    expect(calls(api, "GET", "applications")).toHaveLength(polls + 1);
    store.stopPolling();
  });
});

describe("the share panel", () => {
  it("is offered only for what the grant and the site allow", async () => {
    const api = fakeApi({ "GET applications": { items: [{ ...RUNNING, share_permissions: [] }] } });
    const store = createApplicationsStore(api, { readyPause: 0 });
    await store.refresh();
    const { wrapper } = mountWith(ApplicationView, { api, store, props: { mappingId: "m1" } });
    await flushPromises();
    expect(wrapper.find('[data-testid="app-frame"]').exists()).toBe(true);
    expect(wrapper.find('[data-testid="share-button"]').exists()).toBe(false);
  });

  it("lists the app's shares: who, for what, until when", async () => {
    const api = fakeApi({ "GET containers/u1/shares": { items: SHARES } });
    const { wrapper, store } = await openPanel(api);
    expect(wrapper.get('[data-testid="share-button"]').attributes("aria-expanded")).toBe("true");
    expect(calls(api, "GET", "containers/u1/shares")).toHaveLength(1);
    const rows = wrapper.findAll('[data-testid="share-row"]');
    expect(rows.map((row) => row.get('[data-testid="share-who"]').text())).toEqual([
      "bob",
      "group operators",
      "anyone with the link",
      "carol (by link)",
    ]);
    expect(rows[0].text()).toContain("View only");
    expect(rows[1].text()).toContain("Full control");
    expect(rows[0].get("time").text()).toBe("until 23:59");
    expect(rows[3].get("time").text()).toMatch(/^until .*2099/);
    expect(rows[0].get('[data-testid="revoke-share"]').attributes("aria-label")).toBe("Revoke the share with bob");
    store.stopPolling();
  });

  it("offers the kinds of share, and only the permissions the app allows", async () => {
    const api = fakeApi({ "GET containers/u1/shares": { items: [] } });
    const { wrapper, store } = await openPanel(api, { ...RUNNING, share_permissions: ["control"] });
    expect(wrapper.get('[data-testid="no-shares"]').text()).toBe("Not shared with anyone.");
    const values = (testid) => wrapper.findAll(`[data-testid="${testid}"] option`).map((o) => o.element.value);
    expect(values("share-kind")).toEqual(["user", "group", "link"]);
    expect(values("share-permission")).toEqual(["control"]);
    expect(wrapper.get('[data-testid="share-permission"]').text()).toBe("Full control");
    expect(values("share-expiry")).toEqual(["3600", "28800", "86400", "604800"]);
    expect(wrapper.get('[data-testid="share-expiry"]').element.value).toBe("86400");

    await wrapper.get('[data-testid="share-kind"]').setValue("link");
    expect(wrapper.find('[data-testid="share-name"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="share-submit"]').text()).toBe("Make a link");
    await wrapper.get('[data-testid="share-kind"]').setValue("group");
    expect(wrapper.get('label[for$="-name"]').text()).toBe("Group name");
    store.stopPolling();
  });

  it("shares with a user, then reads the list again", async () => {
    let items = [];
    const api = fakeApi({
      "GET containers/u1/shares": () => ({ items }),
      "POST containers/u1/shares": (body) => {
        items = [share("s9", { name: body.name, permission: body.permission })];
        return items[0];
      },
    });
    const { wrapper, store } = await openPanel(api);
    expect(wrapper.get('[data-testid="share-permission"]').element.value).toBe("view");
    await wrapper.get('[data-testid="share-name"]').setValue("  bob ");
    await wrapper.get('[data-testid="share-permission"]').setValue("control");
    await wrapper.get('[data-testid="share-expiry"]').setValue("3600");
    await wrapper.get('[data-testid="share-submit"]').trigger("submit");
    await flushPromises();
    expect(calls(api, "POST", "containers/u1/shares").map((c) => c.arg)).toEqual([
      { kind: "user", name: "bob", permission: "control", expires_in: 3600 },
    ]);
    expect(wrapper.get('[data-testid="notice"]').text()).toBe("Shared with bob.");
    expect(wrapper.get('[data-testid="share-name"]').element.value).toBe("");
    expect(wrapper.findAll('[data-testid="share-who"]').map((w) => w.text())).toEqual(["bob"]);
    expect(wrapper.find('[data-testid="share-link"]').exists()).toBe(false);
    store.stopPolling();
  });

  it("shows a link once, with a Copy button, and never again", async () => {
    const LINK = "http://127.0.0.1:8000/hub/user-redirect/shared/link/c0de";
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    let items = [];
    const api = fakeApi({
      "GET containers/u1/shares": () => ({ items }),
      "POST containers/u1/shares": () => {
        items = [share("s5", { kind: "link", name: null })];
        return { ...items[0], link: LINK };
      },
    });
    const { wrapper, store } = await openPanel(api);
    await wrapper.get('[data-testid="share-kind"]').setValue("link");
    await wrapper.get('[data-testid="share-submit"]').trigger("submit");
    await flushPromises();
    expect(calls(api, "POST", "containers/u1/shares")[0].arg).toEqual({
      kind: "link",
      permission: "view",
      expires_in: 86400,
    });
    expect(wrapper.get('[data-testid="share-link"]').element.value).toBe(LINK);
    const box = wrapper.get('[data-testid="share-link-box"]');
    expect(box.text()).toContain("shown only this once");
    expect(box.text()).toContain("Anyone who opens it gets view only, until 23:59.");
    expect(wrapper.findAll('[data-testid="share-who"]').map((w) => w.text())).toEqual(["anyone with the link"]);

    await wrapper.get('[data-testid="copy-link"]').trigger("click");
    await flushPromises();
    expect(writeText).toHaveBeenCalledWith(LINK);
    expect(wrapper.get('[data-testid="copy-status"]').text()).toBe("Copied.");

    // Closed and opened again, the panel has only the list, which holds no link.
    await wrapper.get('[data-testid="share-button"]').trigger("click");
    await wrapper.get('[data-testid="share-button"]').trigger("click");
    await flushPromises();
    expect(wrapper.find('[data-testid="share-link"]').exists()).toBe(false);
    expect(wrapper.text()).not.toContain(LINK);
    store.stopPolling();
  });

  it("lets the link be copied by hand where the clipboard is refused", async () => {
    const api = fakeApi({
      "GET containers/u1/shares": { items: [] },
      "POST containers/u1/shares": share("s5", { kind: "link", name: null, link: "http://hub/l/c0de" }),
    });
    const { wrapper, store } = await openPanel(api);
    await wrapper.get('[data-testid="share-kind"]').setValue("link");
    await wrapper.get('[data-testid="share-submit"]').trigger("submit");
    await flushPromises();
    await wrapper.get('[data-testid="copy-link"]').trigger("click");
    await flushPromises();
    expect(wrapper.get('[data-testid="copy-status"]').text()).toContain("copy it with Ctrl+C");
    store.stopPolling();
  });

  it("shows the server's message when a share is refused", async () => {
    const api = fakeApi({
      "GET containers/u1/shares": { items: [] },
      "POST containers/u1/shares": new ApiError("name: there is no Hub user nobody.", 400),
    });
    const { wrapper, store } = await openPanel(api);
    await wrapper.get('[data-testid="share-name"]').setValue("nobody");
    await wrapper.get('[data-testid="share-submit"]').trigger("submit");
    await flushPromises();
    expect(wrapper.get('[data-testid="error"]').text()).toBe("name: there is no Hub user nobody.");
    expect(wrapper.get('[data-testid="share-name"]').element.value).toBe("nobody");
    expect(calls(api, "GET", "containers/u1/shares")).toHaveLength(1);
    store.stopPolling();
  });

  it("revokes a share only once confirmed", async () => {
    let items = SHARES.slice(0, 2);
    const api = fakeApi({
      "GET containers/u1/shares": () => ({ items }),
      "DELETE shares/s2": () => ((items = items.filter((s) => s.id !== "s2")), null),
    });
    const { wrapper, store } = await openPanel(api);
    await wrapper.findAll('[data-testid="revoke-share"]')[1].trigger("click");
    const dialog = wrapper.get('[data-testid="confirm-dialog"]');
    expect(dialog.text()).toContain("Stop sharing with group operators?");
    expect(dialog.text()).toContain("The members of operators can no longer open Desktop.");
    await wrapper.get('[data-testid="confirm-no"]').trigger("click");
    expect(calls(api, "DELETE", "shares/s2")).toHaveLength(0);

    await wrapper.findAll('[data-testid="revoke-share"]')[1].trigger("click");
    await wrapper.get('[data-testid="confirm-yes"]').trigger("click");
    await flushPromises();
    expect(calls(api, "DELETE", "shares/s2")).toHaveLength(1);
    expect(wrapper.get('[data-testid="notice"]').text()).toBe("No longer shared with group operators.");
    expect(wrapper.findAll('[data-testid="share-who"]').map((w) => w.text())).toEqual(["bob"]);
    store.stopPolling();
  });

  it("shows why a revoke failed, and keeps the row", async () => {
    const api = fakeApi({
      "GET containers/u1/shares": { items: [share("s1")] },
      "DELETE shares/s1": new ApiError("No such share of yours.", 404),
    });
    const { wrapper, store } = await openPanel(api);
    await wrapper.get('[data-testid="revoke-share"]').trigger("click");
    await wrapper.get('[data-testid="confirm-yes"]').trigger("click");
    await flushPromises();
    expect(wrapper.get('[data-testid="error"]').text()).toBe("No such share of yours.");
    expect(wrapper.findAll('[data-testid="share-row"]')).toHaveLength(1);
    store.stopPolling();
  });

  it("reads the list again on a 'shares' event of this app only, and stops listening when closed", async () => {
    const api = fakeApi({ "GET containers/u1/shares": { items: [] } });
    const { wrapper, store, source } = await openPanel(api);
    expect(calls(api, "GET", "containers/u1/shares")).toHaveLength(1);
    api.routes["GET containers/u1/shares"] = { items: [share("s1")] };
    source.emit("shares", { url_id: "another" });
    await flushPromises();
    expect(calls(api, "GET", "containers/u1/shares")).toHaveLength(1);
    source.emit("shares", { url_id: "u1" });
    await flushPromises();
    expect(calls(api, "GET", "containers/u1/shares")).toHaveLength(2);
    expect(wrapper.findAll('[data-testid="share-who"]').map((w) => w.text())).toEqual(["bob"]);

    await wrapper.get('[data-testid="share-button"]').trigger("click");
    expect(wrapper.find('[data-testid="share-panel"]').exists()).toBe(false);
    source.emit("shares", { url_id: "u1" });
    await flushPromises();
    expect(calls(api, "GET", "containers/u1/shares")).toHaveLength(2);
    store.stopPolling();
  });

  it("closes on Escape before the app is left", async () => {
    const api = fakeApi({ "GET containers/u1/shares": { items: [] } });
    const { wrapper, store } = await openPanel(api);
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    await flushPromises();
    expect(wrapper.find('[data-testid="share-panel"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="app-frame"]').exists()).toBe(true);
    store.stopPolling();
  });
});

describe("shared with me, on the dashboard", () => {
  const SHARED = {
    id: "s1",
    owner: "alice",
    permission: "view",
    expires_at: TONIGHT,
    url_id: "u1",
    created_at: "2026-12-06T01:00:00+00:00",
    name: "Desktop",
    description: null,
    type: "vncapp",
    open_url: "/user/bob/shared/open/s1",
  };

  async function dashboard(api) {
    api.routes["GET applications"] ??= { items: [] };
    const store = liveStore(api);
    store.startPolling();
    const { wrapper } = mountWith(DashboardView, { api, store });
    await flushPromises();
    return { wrapper, store, source: FakeEventSource.opened.at(-1) };
  }

  it("is not shown while nothing is shared", async () => {
    const api = fakeApi({ "GET shared": { items: [] } });
    const { wrapper, store } = await dashboard(api);
    expect(calls(api, "GET", "shared")).toHaveLength(1);
    expect(wrapper.find('[data-testid="shared-with-me"]').exists()).toBe(false);
    store.stopPolling();
  });

  it("lists what others share, each opened in a new tab", async () => {
    const api = fakeApi({
      "GET shared": {
        items: [
          SHARED,
          { ...SHARED, id: "s2", owner: "<b>dave</b>", permission: "control", type: "webapp", name: "Notes" },
          { ...SHARED, id: "s3", open_url: "javascript:alert(1)" },
        ],
      },
    });
    const { wrapper, store } = await dashboard(api);
    const section = wrapper.get('[data-testid="shared-with-me"]');
    expect(section.get("h2").text()).toBe("Shared with me");
    const items = section.findAll('[data-testid="shared-app"]');
    expect(items).toHaveLength(3);
    expect(items[0].text()).toContain("Desktop");
    expect(items[0].text()).toContain("from alice · View only · until 23:59");
    expect(items[1].text()).toContain("from <b>dave</b> · Full control");
    expect(items[1].text()).toContain("Web app");
    expect(wrapper.find("b").exists()).toBe(false);
    const open = items[0].get('[data-testid="open-shared"]');
    expect(open.attributes("href")).toBe("/user/bob/shared/open/s1");
    expect(open.attributes("target")).toBe("_blank");
    expect(open.attributes("rel")).toContain("noopener");
    // Only a page of this site is followed.
    expect(items[2].find('[data-testid="open-shared"]').exists()).toBe(false);
    store.stopPolling();
  });

  it("is read again on a 'shared' event, and when the stream comes back", async () => {
    const api = fakeApi({ "GET shared": { items: [] } });
    const { wrapper, store, source } = await dashboard(api);
    api.routes["GET shared"] = { items: [SHARED] };
    source.emit("shared", {});
    await flushPromises();
    expect(calls(api, "GET", "shared")).toHaveLength(2);
    expect(wrapper.findAll('[data-testid="shared-app"]')).toHaveLength(1);
    source.emit("ready", {});
    await flushPromises();
    expect(calls(api, "GET", "shared")).toHaveLength(3);

    wrapper.unmount();
    source.emit("shared", {});
    await flushPromises();
    expect(calls(api, "GET", "shared")).toHaveLength(3);
    store.stopPolling();
  });

  it("is polled at the store's pace while the stream is down", async () => {
    vi.useFakeTimers();
    try {
      const api = fakeApi({ "GET shared": { items: [] }, "GET applications": { items: [] } });
      const store = createApplicationsStore(api, { readyPause: 0 });
      const { wrapper } = mountWith(DashboardView, { api, store });
      await flushPromises();
      expect(calls(api, "GET", "shared")).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(3100);
      expect(calls(api, "GET", "shared")).toHaveLength(2);
      wrapper.unmount();
      await vi.advanceTimersByTimeAsync(10000);
      expect(calls(api, "GET", "shared")).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("asks no more on a site that does not share", async () => {
    const api = fakeApi({
      "GET shared": new ApiError("Sharing needs each app on its own origin (c.ContainerService.app_origin).", 403),
    });
    const { wrapper, store, source } = await dashboard(api);
    source.emit("shared", {});
    await flushPromises();
    expect(calls(api, "GET", "shared")).toHaveLength(1);
    expect(wrapper.find('[data-testid="shared-with-me"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="error"]').exists()).toBe(false);
    store.stopPolling();
  });
});

describe("admin shares", () => {
  const ADMIN = { ...CONFIG_ALICE, admin: true };
  const paged = (items) => (query = {}) => {
    const offset = Number(query.offset ?? 0);
    const limit = Number(query.limit ?? 100);
    return { items: items.slice(offset, offset + limit), total: items.length, offset, limit };
  };
  const row = (n, extra) =>
    share(`s${n}`, { url_id: `${String(n).padStart(4, "0")}abcdef0123456789abcdef01234567`, ...extra });

  it("is in the admin navigation", async () => {
    const api = fakeApi({ "GET admin/shares": paged([]) });
    const { wrapper } = mountWith(AdminView, { api, config: ADMIN, props: { section: "shares" } });
    await flushPromises();
    const link = wrapper.findAll('[data-testid="admin-nav"] a').find((a) => a.text() === "Shares");
    expect(link.attributes("href")).toBe("#/admin/shares");
    expect(link.attributes("aria-current")).toBe("page");
    expect(wrapper.text()).toContain("Nothing is shared");
  });

  it("lists a page of shares: owner, app, with whom, permission, expiry", async () => {
    const all = [
      row(1, { owner: "<i>eve</i>" }),
      row(2, { kind: "link", name: null, permission: "control" }),
      ...Array.from({ length: 58 }, (_, i) => row(i + 3)),
    ];
    const api = fakeApi({ "GET admin/shares": paged(all) });
    const { wrapper } = mountWith(AdminShares, { api, config: ADMIN });
    await flushPromises();
    expect(calls(api, "GET", "admin/shares").map((c) => c.arg)).toEqual([{ offset: 0, limit: 50 }]);
    const rows = wrapper.findAll('[data-testid="admin-share-row"]');
    expect(rows).toHaveLength(50);
    expect(rows[0].attributes("data-share-id")).toBe("s1");
    const cells = rows[0].findAll("td").map((td) => td.text());
    expect(cells.slice(0, 5)).toEqual(["<i>eve</i>", "0001abcd", "bob", "View only", "23:59"]);
    expect(rows[0].get("code").attributes("title")).toBe(all[0].url_id);
    expect(wrapper.find("i").exists()).toBe(false);
    expect(rows[1].text()).toContain("anyone with the link");
    expect(rows[1].text()).toContain("Full control");
    expect(wrapper.get('[data-testid="list-count"]').text()).toBe("60 shares");
    await wrapper.findAll("nav.pager button").find((b) => b.text() === "Next").trigger("click");
    await flushPromises();
    expect(calls(api, "GET", "admin/shares").at(-1).arg).toEqual({ offset: 50, limit: 50 });
    expect(wrapper.findAll('[data-testid="admin-share-row"]')).toHaveLength(10);
  });

  it("revokes a share once confirmed, then reads the page again", async () => {
    let all = [row(1), row(2, { kind: "group", name: "operators" })];
    const api = fakeApi({
      "GET admin/shares": (query) => paged(all)(query),
      "DELETE admin/shares/s2": () => ((all = all.slice(0, 1)), null),
    });
    const { wrapper } = mountWith(AdminShares, { api, config: ADMIN, attachTo: document.body });
    await flushPromises();
    const revoke = wrapper.findAll('[data-testid="admin-share-row"]')[1].get("button");
    expect(revoke.attributes("aria-label")).toBe("Revoke alice's share with group operators");
    await revoke.trigger("click");
    expect(wrapper.get('[data-testid="confirm-dialog"]').text()).toContain(
      "Revoke alice's share with group operators?",
    );
    expect(calls(api, "DELETE", "admin/shares/s2")).toHaveLength(0);
    await wrapper.get('[data-testid="confirm-yes"]').trigger("click");
    await flushPromises();
    expect(calls(api, "DELETE", "admin/shares/s2")).toHaveLength(1);
    expect(wrapper.get('[data-testid="notice"]').text()).toBe("Revoked alice's share with group operators.");
    expect(wrapper.findAll('[data-testid="admin-share-row"]')).toHaveLength(1);
  });

  it("shows the server's message when a revoke fails", async () => {
    const api = fakeApi({
      "GET admin/shares": paged([row(1)]),
      "DELETE admin/shares/s1": new ApiError("No such share.", 404),
    });
    const { wrapper } = mountWith(AdminShares, { api, config: ADMIN, attachTo: document.body });
    await flushPromises();
    await wrapper.get('[data-testid="admin-share-row"] button').trigger("click");
    await wrapper.get('[data-testid="confirm-yes"]').trigger("click");
    await flushPromises();
    expect(wrapper.get('[data-testid="error"]').text()).toBe("No such share.");
  });
});

describe("the grant form", () => {
  it("says what the shared view allows, now that sharing exists", () => {
    const { wrapper } = mountWith(PolicyFields, { props: { modelValue: { allow_view: false } } });
    expect(wrapper.text()).toContain("The user may share the running app with others");
    expect(wrapper.text()).not.toContain("not available");
  });
});
