// The admin lists against a fake API: running apps and the audit log, and paging
// from the server (offset / limit) in every list.
import { flushPromises } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../frontend/src/api.js";
import AdminApplications from "../frontend/src/views/admin/AdminApplications.vue";
import AdminAudit from "../frontend/src/views/admin/AdminAudit.vue";
import AdminContainers from "../frontend/src/views/admin/AdminContainers.vue";
import AdminGrants from "../frontend/src/views/admin/AdminGrants.vue";
import AdminUsers from "../frontend/src/views/admin/AdminUsers.vue";
import { CONFIG_ALICE, fakeApi, mountWith } from "./helpers.js";

const ADMIN = { ...CONFIG_ALICE, admin: true };

/** A server-side list: the page that `offset` and `limit` ask of `items`. */
const paged = (items) => (query = {}) => {
  const offset = Number(query.offset ?? 0);
  const limit = Number(query.limit ?? 100);
  return { items: items.slice(offset, offset + limit), total: items.length, offset, limit };
};
const gets = (api, path) => api.calls.filter((c) => c.method === "GET" && c.path === path).map((c) => c.arg);
const running = (n, extra = {}) => ({
  url_id: `u${n}`,
  mapping_id: `m${n}`,
  user: `user${n}`,
  image: "demo/desktop:latest",
  state: "running",
  created_at: "2026-01-01T10:00:00+00:00",
  ...extra,
});
const entry = (n) => ({
  id: n,
  at: "2026-12-04T10:00:00+00:00",
  actor: "admin",
  action: "user.create",
  target: `user${n}`,
  details: { policy: { allow_home: true } },
  via: "browser session",
  client: null,
  user_agent: null,
});
const mountAdmin = (view, api, props) =>
  mountWith(view, { api, config: ADMIN, attachTo: document.body, props }).wrapper;
const pagerButton = (wrapper, label) =>
  wrapper.findAll("nav.pager button").find((button) => button.text() === label);

afterEach(() => {
  vi.useRealTimers();
  document.body.innerHTML = "";
});

describe("admin running apps", () => {
  it("lists the containers of a page, with their state and count", async () => {
    const api = fakeApi({
      "GET admin/containers": paged([running(1), running(2, { state: "exited", user: "<b>bob</b>" })]),
    });
    const wrapper = mountAdmin(AdminContainers, api);
    await flushPromises();
    expect(gets(api, "admin/containers")).toEqual([{ offset: 0, limit: 50 }]);
    const rows = wrapper.findAll('[data-testid="container-row"]');
    expect(rows.map((row) => row.attributes("data-url-id"))).toEqual(["u1", "u2"]);
    expect(rows[1].text()).toContain("<b>bob</b>");
    expect(wrapper.find("b").exists()).toBe(false);
    expect(rows[0].get(".chip").classes()).toContain("chip--success");
    expect(rows[1].get(".chip").classes()).toContain("chip--warning");
    expect(wrapper.text()).toContain("2 containers");
  });

  it("stops one only once confirmed, then says so and reads the list again", async () => {
    const live = [running(1), running(2)];
    const api = fakeApi({
      "GET admin/containers": (query) => paged(live)(query),
      "DELETE admin/containers/u1": () => (live.shift(), null),
    });
    const wrapper = mountAdmin(AdminContainers, api);
    await flushPromises();
    const stop = wrapper.get('[data-testid="container-row"] button');
    expect(stop.attributes("aria-label")).toBe("Stop demo/desktop:latest of user1");
    await stop.trigger("click");
    expect(wrapper.get('[data-testid="confirm-dialog"]').text()).toContain("Stop user1's app?");
    expect(api.calls.some((c) => c.method === "DELETE")).toBe(false);
    await wrapper.get('[data-testid="confirm-yes"]').trigger("click");
    await flushPromises();
    expect(api.calls.filter((c) => c.method === "DELETE").map((c) => c.path)).toEqual(["admin/containers/u1"]);
    expect(wrapper.get('[data-testid="notice"]').text()).toBe("Stopped demo/desktop:latest of user1.");
    expect(wrapper.findAll('[data-testid="container-row"]').map((r) => r.attributes("data-url-id"))).toEqual(["u2"]);
    expect(wrapper.find('[data-testid="confirm-dialog"]').exists()).toBe(false);
  });

  it("keeps the list and shows the server's message when the stop fails", async () => {
    const api = fakeApi({
      "GET admin/containers": paged([running(1)]),
      "DELETE admin/containers/u1": new ApiError("the Docker engine is not answering", 503),
    });
    const wrapper = mountAdmin(AdminContainers, api);
    await flushPromises();
    await wrapper.get('[data-testid="container-row"] button').trigger("click");
    await wrapper.get('[data-testid="confirm-yes"]').trigger("click");
    await flushPromises();
    expect(wrapper.get('[data-testid="error"]').text()).toBe("the Docker engine is not answering");
    expect(gets(api, "admin/containers")).toHaveLength(1);
    expect(wrapper.findAll('[data-testid="container-row"]')).toHaveLength(1);
  });

  it("says when nothing runs, and pages from the server", async () => {
    const many = Array.from({ length: 60 }, (_, i) => running(i + 1));
    const api = fakeApi({ "GET admin/containers": paged(many) });
    const wrapper = mountAdmin(AdminContainers, api);
    await flushPromises();
    expect(wrapper.findAll('[data-testid="container-row"]')).toHaveLength(50);
    expect(wrapper.get("nav.pager").text()).toContain("1–50 of 60 containers");
    await pagerButton(wrapper, "Next").trigger("click");
    await flushPromises();
    expect(gets(api, "admin/containers").at(-1)).toEqual({ offset: 50, limit: 50 });
    expect(wrapper.findAll('[data-testid="container-row"]')).toHaveLength(10);

    api.routes["GET admin/containers"] = paged([]);
    await wrapper.findAll("button").find((b) => b.text() === "Refresh").trigger("click");
    await flushPromises();
    expect(wrapper.text()).toContain("Nothing runs");
    expect(wrapper.text()).toContain("No user has an application running.");
  });
});

describe("admin audit log", () => {
  it("shows a page of entries as text, with the count, and pages from the server", async () => {
    const log = Array.from({ length: 75 }, (_, i) => entry(i + 1));
    log[0] = { ...entry(1), target: "<i>carol</i>" };
    const api = fakeApi({ "GET admin/audit": paged(log) });
    const wrapper = mountAdmin(AdminAudit, api);
    await flushPromises();
    expect(gets(api, "admin/audit")).toEqual([{ offset: 0, limit: 50 }]);
    const rows = wrapper.findAll('[data-testid="audit-row"]');
    expect(rows).toHaveLength(50);
    expect(rows[0].text()).toContain("<i>carol</i>");
    expect(rows[0].text()).toContain('policy: {"allow_home":true}');
    expect(wrapper.find("i").exists()).toBe(false);
    expect(wrapper.get('[data-testid="list-count"]').text()).toBe("75 entries");
    await pagerButton(wrapper, "Next").trigger("click");
    await flushPromises();
    expect(gets(api, "admin/audit").at(-1)).toEqual({ offset: 50, limit: 50 });
    expect(wrapper.get("nav.pager").text()).toContain("51–75 of 75 entries");
    await wrapper.findAll("button").find((b) => b.text() === "Refresh").trigger("click");
    await flushPromises();
    expect(gets(api, "admin/audit").at(-1)).toEqual({ offset: 50, limit: 50 });
  });

  it("says when the log is empty, and shows a failed read", async () => {
    const api = fakeApi({ "GET admin/audit": paged([]) });
    const wrapper = mountAdmin(AdminAudit, api);
    await flushPromises();
    expect(wrapper.text()).toContain("The log is empty");
    expect(wrapper.find("nav.pager").exists()).toBe(false);
    api.routes["GET admin/audit"] = new ApiError("The service answered 502 Bad Gateway.", 502);
    await wrapper.findAll("button").find((b) => b.text() === "Refresh").trigger("click");
    await flushPromises();
    expect(wrapper.get('[data-testid="error"]').text()).toBe("The service answered 502 Bad Gateway.");
  });
});

describe("paging in the other admin lists", () => {
  const person = (n) => ({ name: `user${String(n).padStart(3, "0")}`, created_at: "2025-01-01T00:00:00+00:00", grant_count: 0, running_count: 0 });

  it("users: a search starts again at the first page", async () => {
    vi.useFakeTimers();
    const people = Array.from({ length: 120 }, (_, i) => person(i));
    const api = fakeApi({ "GET admin/users": (query) => paged(people.filter((p) => p.name.includes(query.q ?? "")))(query) });
    const wrapper = mountAdmin(AdminUsers, api);
    await flushPromises();
    expect(wrapper.text()).toContain("120 users");
    await pagerButton(wrapper, "Next").trigger("click");
    await flushPromises();
    expect(gets(api, "admin/users").at(-1)).toEqual({ q: "", offset: 50, limit: 50 });
    await wrapper.get('[data-testid="user-search"]').setValue("user11");
    await vi.advanceTimersByTimeAsync(300);
    await flushPromises();
    expect(gets(api, "admin/users").at(-1)).toEqual({ q: "user11", offset: 0, limit: 50 });
    expect(wrapper.findAll('[data-testid="user-row"]')).toHaveLength(10);
  });

  it("applications: a page at a time, with the engine's images", async () => {
    const labels = (name) => ({ available: true, name, description: null, type: "webapp", icon_url: null });
    const apps = Array.from({ length: 55 }, (_, i) => ({ id: i, image: `a/${i}:1`, display_name: null, grant_count: 0, labels: labels(`App ${i}`) }));
    const api = fakeApi({ "GET admin/applications": paged(apps), "GET admin/images": { items: [] } });
    const wrapper = mountAdmin(AdminApplications, api);
    await flushPromises();
    expect(wrapper.get('[data-testid="list-count"]').text()).toBe("55 applications");
    await pagerButton(wrapper, "Next").trigger("click");
    await flushPromises();
    expect(gets(api, "admin/applications").at(-1)).toEqual({ offset: 50, limit: 50 });
    expect(wrapper.findAll('[data-testid="application-row"]').map((r) => r.attributes("data-id"))).toEqual(["50", "51", "52", "53", "54"]);
  });

  it("applications: edits one in its row and saves it", async () => {
    const labels = { available: true, name: "Demo", description: null, type: "webapp", icon_url: null };
    const api = fakeApi({
      "GET admin/applications": paged([{ id: 7, image: "demo/app:1", display_name: null, description: null, grant_count: 0, labels }]),
      "GET admin/images": { items: [] },
      "PATCH admin/applications/7": (body) => ({ id: 7, labels: { ...labels, name: body.display_name } }),
    });
    const wrapper = mountAdmin(AdminApplications, api);
    await flushPromises();
    const edit = wrapper.findAll('[data-testid="application-row"] button').find((b) => b.text() === "Edit");
    await edit.trigger("click");
    await wrapper.get('[data-testid="edit-display-name"]').setValue(" Shiny ");
    await wrapper.get('[data-testid="save-application"]').trigger("submit");
    await flushPromises();
    expect(api.calls.find((c) => c.method === "PATCH").arg).toEqual({ display_name: "Shiny", description: null });
    expect(wrapper.get('[data-testid="notice"]').text()).toBe("Saved Shiny.");
    expect(wrapper.find('[data-testid="edit-display-name"]').exists()).toBe(false);
  });

  it("grants: filtered and paged by the server; choices found with its search", async () => {
    vi.useFakeTimers();
    const grantOf = (n) => ({
      mapping_id: `m${n}`,
      user: "carol",
      application_id: n % 2 ? 7 : 9,
      image: n % 2 ? "demo/app:1" : "demo/other:1",
      policy: { allow_home: false, allow_view: false, allow_startup_data: false, volume: null, app_license: null },
      created_at: "2025-01-01T00:00:00+00:00",
      container: null,
    });
    const grants = Array.from({ length: 70 }, (_, i) => grantOf(i));
    const api = fakeApi({
      "GET admin/grants": paged(grants),
      "GET admin/users": (query) => paged([person(1), person(2)].filter((p) => p.name.includes(query.q)))(query),
      "GET admin/applications": paged([{ id: 7, image: "demo/app:1", labels: { name: "Demo" } }]),
      "GET admin/applications/9": { id: 9, image: "demo/other:1", labels: { name: "Other" } },
    });
    const wrapper = mountAdmin(AdminGrants, api, { query: { user: "carol" } });
    await flushPromises();
    expect(gets(api, "admin/grants")).toEqual([{ user: "carol", application_id: "", offset: 0, limit: 50 }]);
    expect(gets(api, "admin/users")).toEqual([{ q: "carol", limit: 50 }]);
    expect(gets(api, "admin/applications")).toEqual([{ q: "", limit: 50 }]);
    // The application not among the choices is read once, to name its grants.
    expect(api.calls.filter((c) => c.path === "admin/applications/9")).toHaveLength(1);
    const names = wrapper.findAll('[data-testid="grant-row"] .cell-main').filter((_, i) => i % 2).map((c) => c.text());
    expect(names.slice(0, 2)).toEqual(["Other", "Demo"]);
    expect(wrapper.get('[data-testid="list-count"]').text()).toBe("70 grants");
    expect(wrapper.find('[data-testid="application-search"]').exists()).toBe(false);

    await pagerButton(wrapper, "Next").trigger("click");
    await flushPromises();
    expect(gets(api, "admin/grants").at(-1)).toEqual({ user: "carol", application_id: "", offset: 50, limit: 50 });

    await wrapper.get('[data-testid="new-grant-user"]').setValue("user00");
    await vi.advanceTimersByTimeAsync(300);
    await flushPromises();
    expect(gets(api, "admin/users").at(-1)).toEqual({ q: "user00", limit: 50 });
    expect(wrapper.findAll("datalist option").map((o) => o.element.value)).toEqual(["user001", "user002"]);

    await wrapper.get('select[aria-label="Only the grants of this application"]').setValue("7");
    await vi.advanceTimersByTimeAsync(300);
    await flushPromises();
    expect(gets(api, "admin/grants").at(-1)).toEqual({ user: "carol", application_id: "7", offset: 0, limit: 50 });
  });

  it("grants: too many applications to list are searched for by the server", async () => {
    vi.useFakeTimers();
    const app = (id) => ({ id, image: `img/${id}:1`, labels: { name: `App ${id}` } });
    const api = fakeApi({
      "GET admin/grants": paged([]),
      "GET admin/users": paged([]),
      "GET admin/applications": (query) =>
        query.q ? paged([app(77)])(query) : { items: [app(1), app(2)], total: 300, offset: 0, limit: 50 },
    });
    const wrapper = mountAdmin(AdminGrants, api, { query: {} });
    await flushPromises();
    await wrapper.get('[data-testid="application-search"]').setValue("77");
    await vi.advanceTimersByTimeAsync(300);
    await flushPromises();
    expect(gets(api, "admin/applications").at(-1)).toEqual({ q: "77", limit: 50 });
    const options = wrapper.findAll('[data-testid="new-grant-application"] option').map((o) => o.element.value);
    expect(options).toEqual(["", "77"]);
  });
});
