import { flushPromises } from "@vue/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { reactive } from "vue";
import { ApiError } from "../frontend/src/api.js";
import AdminView from "../frontend/src/views/AdminView.vue";
import AdminApplications from "../frontend/src/views/admin/AdminApplications.vue";
import AdminGrants from "../frontend/src/views/admin/AdminGrants.vue";
import AdminUsers from "../frontend/src/views/admin/AdminUsers.vue";
import { CONFIG_ALICE, fakeApi, mountWith } from "./helpers.js";

const ADMIN = { ...CONFIG_ALICE, admin: true };
const page = (items) => ({ items, total: items.length, offset: 0, limit: 50 });
const user = (name, extra = {}) => ({
  name,
  created_at: "2025-01-01T00:00:00+00:00",
  grant_count: 0,
  running_count: 0,
  ...extra,
});

afterEach(() => {
  document.body.innerHTML = "";
});

describe("the admin pages", () => {
  it("are not available to someone who is not an administrator", () => {
    const api = fakeApi();
    const { wrapper } = mountWith(AdminView, { api, props: { section: "users" } });
    expect(wrapper.text()).toContain("not available");
    expect(wrapper.find('[data-testid="admin-nav"]').exists()).toBe(false);
    expect(api.calls).toEqual([]);
  });

  it("link to a new login when the service asks for one before a change", async () => {
    const api = fakeApi({ "GET admin/stats": {}, "GET admin/audit": page([]) });
    const session = reactive({ loginAgain: "" });
    const { wrapper } = mountWith(AdminView, { api, config: ADMIN, session, props: { section: "overview" } });
    await flushPromises();
    expect(wrapper.find('[data-testid="login-again"]').exists()).toBe(false);
    session.loginAgain = "/user/alice/logout";
    await flushPromises();
    const link = wrapper.get('[data-testid="login-again"] a');
    expect([link.text(), link.attributes("href")]).toEqual(["Log in again", "/user/alice/logout"]);
  });

  it("say in the audit log how each change was asked for", async () => {
    const entry = {
      id: 1,
      at: "2026-12-04T10:00:00+00:00",
      actor: "admin",
      action: "user.create",
      target: "carol",
      details: {},
      via: "browser session",
      credential_id: "abc",
      client: "127.0.0.1",
      user_agent: "<b>Mozilla/5.0</b>",
    };
    const api = fakeApi({ "GET admin/audit": page([entry, { ...entry, id: 2, via: "command line", client: null, user_agent: null }]) });
    const { wrapper } = mountWith(AdminView, { api, config: ADMIN, props: { section: "audit" } });
    await flushPromises();
    const how = wrapper.findAll('[data-testid="audit-how"]').map((cell) => cell.text().replace(/\s+/g, " "));
    expect(how).toEqual(["browser session, 127.0.0.1<b>Mozilla/5.0</b>", "command line"]);
    expect(wrapper.find('[data-testid="audit-how"] b').exists()).toBe(false); // text, never HTML
  });

  it("show the overview's numbers to an administrator", async () => {
    const stats = { users: 3, active_users: 1, applications: 2, grants: 4, running_containers: 1, starts_last_day: 7 };
    const api = fakeApi({ "GET admin/stats": stats, "GET admin/audit": page([]) });
    const { wrapper } = mountWith(AdminView, { api, config: ADMIN, props: { section: "overview" } });
    await flushPromises();
    expect(wrapper.find('[data-testid="admin-nav"]').exists()).toBe(true);
    const tiles = wrapper.get('[data-testid="stats"]');
    expect(tiles.get('[data-stat="starts_last_day"]').text()).toContain("7");
    expect(tiles.get('[data-stat="users"]').text()).toContain("3");
  });
});

describe("admin users", () => {
  it("creates a user with the right request and lists them", async () => {
    const people = [user("alice")];
    const api = fakeApi({
      "GET admin/users": () => page(people),
      "POST admin/users": ({ name }) => (people.push(user(name)), user(name)),
    });
    const { wrapper } = mountWith(AdminUsers, { api, config: ADMIN });
    await flushPromises();
    await wrapper.get('[data-testid="new-user-name"]').setValue("  bob ");
    await wrapper.get('[data-testid="create-user"]').trigger("submit");
    await flushPromises();
    expect(api.calls.find((c) => c.method === "POST")).toEqual({
      method: "POST",
      path: "admin/users",
      arg: { name: "bob" },
    });
    expect(wrapper.findAll('[data-testid="user-row"]').map((r) => r.attributes("data-name"))).toEqual([
      "alice",
      "bob",
    ]);
    expect(wrapper.get('[data-testid="new-user-name"]').element.value).toBe("");
    expect(wrapper.find('[data-testid="error"]').exists()).toBe(false);
  });

  it("shows the server's message when the user cannot be created", async () => {
    const api = fakeApi({
      "GET admin/users": page([]),
      "POST admin/users": new ApiError("the user name 'bad name' may not contain spaces", 400),
    });
    const { wrapper } = mountWith(AdminUsers, { api, config: ADMIN });
    await flushPromises();
    await wrapper.get('[data-testid="new-user-name"]').setValue("bad name");
    await wrapper.get('[data-testid="create-user"]').trigger("submit");
    await flushPromises();
    expect(wrapper.get('[data-testid="error"]').text()).toBe(
      "the user name 'bad name' may not contain spaces",
    );
    expect(wrapper.get('[data-testid="new-user-name"]').element.value).toBe("bad name");
  });

  it("removes a user only once confirmed", async () => {
    const api = fakeApi({
      "GET admin/users": page([user("a/b", { grant_count: 2 })]),
      "DELETE admin/users/a%2Fb": { grants: 2, stopped: 1 },
    });
    const { wrapper } = mountWith(AdminUsers, { api, config: ADMIN, attachTo: document.body });
    await flushPromises();
    await wrapper.get('[data-testid="user-row"] button').trigger("click");
    expect(wrapper.get('[data-testid="confirm-dialog"]').text()).toContain("Remove a/b?");
    expect(api.calls.some((c) => c.method === "DELETE")).toBe(false);
    await wrapper.get('[data-testid="confirm-yes"]').trigger("click");
    await flushPromises();
    expect(api.calls.some((c) => c.method === "DELETE" && c.path === "admin/users/a%2Fb")).toBe(true);
    expect(wrapper.get('[data-testid="notice"]').text()).toContain("2 grants removed, 1 app stopped");
  });
});

describe("admin applications", () => {
  it("offers the engine's images, unregistered first, and creates from one", async () => {
    const api = fakeApi({
      "GET admin/applications": page([]),
      "GET admin/images": {
        items: [
          { image: "a/old:1", name: "Old", type: "webapp", described: true, registered: true },
          { image: "b/new:1", name: "New", type: "vncapp", described: true, registered: false },
        ],
      },
      "POST admin/applications": (body) => ({ id: 1, image: body.image, labels: { name: "Shiny" } }),
    });
    const { wrapper } = mountWith(AdminApplications, { api, config: ADMIN });
    await flushPromises();
    const options = wrapper.findAll('[data-testid="image-select"] option');
    expect(options.map((o) => [o.element.value, o.element.disabled])).toEqual([
      ["", true],
      ["b/new:1", false],
      ["a/old:1", true],
    ]);
    await wrapper.get('[data-testid="image-select"]').setValue("b/new:1");
    await wrapper.find("input").setValue("Shiny");
    await wrapper.get('[data-testid="create-application"]').trigger("submit");
    await flushPromises();
    expect(api.calls.find((c) => c.method === "POST").arg).toEqual({
      image: "b/new:1",
      display_name: "Shiny",
    });
  });
});

describe("admin applications' icons", () => {
  it("load from each application's labels.icon_url, a letter tile without one", async () => {
    const labels = (name, icon_url) => ({ available: true, name, description: null, type: "webapp", icon_url });
    const icon = "/user/alice/api/v1/admin/applications/7/icon";
    const api = fakeApi({
      "GET admin/applications": page([
        { id: 7, image: "demo/app:1", display_name: null, grant_count: 0, labels: labels("Demo", icon) },
        { id: 8, image: "demo/bare:1", display_name: null, grant_count: 0, labels: labels("Bare", null) },
      ]),
      "GET admin/images": { items: [] },
    });
    const { wrapper } = mountWith(AdminApplications, { api, config: ADMIN });
    await flushPromises();
    const [demo, bare] = wrapper.findAll('[data-testid="application-row"]');
    expect(demo.get("img").attributes("src")).toBe(icon);
    expect(bare.find("img").exists()).toBe(false);
    expect(bare.get(".app-icon").text()).toBe("B");
  });
});

describe("admin grants", () => {
  it("grants with the policy's fields", async () => {
    const api = fakeApi({
      "GET admin/grants": { items: [] },
      "GET admin/applications": page([{ id: 7, image: "demo/app:1", labels: { name: "Demo" } }]),
      "GET admin/users": page([user("carol")]),
      "POST admin/grants": new ApiError("the volume source '/etc' is inside /etc, which is never mounted", 400),
    });
    const { wrapper } = mountWith(AdminGrants, { api, config: ADMIN, props: { query: {} } });
    await flushPromises();
    await wrapper.get('[data-testid="new-grant-user"]').setValue("carol");
    await wrapper.get('[data-testid="new-grant-application"]').setValue("7");
    await wrapper.get('[data-testid="policy-home"]').setValue(true);
    await wrapper.get('[data-testid="policy-startupdata"]').setValue(true);
    await wrapper.get('[data-testid="policy-volume"]').setValue("/etc:/data:ro");
    await wrapper.get('[data-testid="policy-idle-timeout"]').setValue("600");
    await wrapper.get('[data-testid="create-grant"]').trigger("submit");
    await flushPromises();
    expect(api.calls.find((c) => c.method === "POST").arg).toEqual({
      user: "carol",
      application_id: 7,
      policy: {
        allow_home: true,
        allow_view: false,
        allow_startup_data: true,
        volume: "/etc:/data:ro",
        app_license: null,
        idle_timeout: 600,
        max_lifetime: null,
      },
    });
    expect(wrapper.get('[data-testid="error"]').text()).toContain("never mounted");
  });

  it("says a bad time limit in the form, and sends nothing", async () => {
    const api = fakeApi({
      "GET admin/grants": { items: [] },
      "GET admin/applications": page([{ id: 7, image: "demo/app:1", labels: { name: "Demo" } }]),
      "GET admin/users": page([user("carol")]),
    });
    const { wrapper } = mountWith(AdminGrants, { api, config: ADMIN, props: { query: {} } });
    await flushPromises();
    await wrapper.get('[data-testid="new-grant-user"]').setValue("carol");
    await wrapper.get('[data-testid="new-grant-application"]').setValue("7");
    await wrapper.get('[data-testid="policy-max-lifetime"]').setValue("-3");
    await wrapper.get('[data-testid="create-grant"]').trigger("submit");
    await flushPromises();
    expect(api.calls.some((c) => c.method === "POST")).toBe(false);
    expect(wrapper.get('[data-testid="error"]').text()).toContain(
      "The maximum lifetime must be a whole number of seconds",
    );
  });
});
