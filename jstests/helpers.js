// What the component tests share: a stand-in API (the seam is the client's four
// methods), the page's configuration, and mounting with what App provides.
import { mount } from "@vue/test-utils";
import { reactive, ref } from "vue";
import { ApiError } from "../frontend/src/api.js";
import { createApplicationsStore } from "../frontend/src/applications.js";
import { API, APPLICATIONS, CONFIG, LAYOUT, ROUTER, SESSION } from "../frontend/src/context.js";
import { parseRoute } from "../frontend/src/router.js";

export const CONFIG_ALICE = Object.freeze({
  user: "alice",
  base_url: "/user/alice/",
  api_url: "/user/alice/api/v1/",
  hub_url: "/hub/",
  admin: false,
  xsrf_token: "2|token",
  version: "1.0",
});

/**
 * An API whose answers come from `routes`: {"GET applications": value or
 * (body, query) => value}. A value that is an Error is thrown. Calls are recorded.
 */
export function fakeApi(routes = {}) {
  const calls = [];
  const answer = (method) => async (path, arg) => {
    calls.push({ method, path, arg });
    const route = routes[`${method} ${path}`];
    if (route === undefined) throw new ApiError(`no fake answer for ${method} ${path}`, 404);
    const value = typeof route === "function" ? await route(arg) : route;
    if (value instanceof Error) throw value;
    return structuredClone(value);
  };
  return {
    calls,
    routes,
    get: answer("GET"),
    post: answer("POST"),
    patch: answer("PATCH"),
    delete: answer("DELETE"),
  };
}

export function fakeRouter(hash = "#/") {
  const route = ref(parseRoute(hash));
  const visited = [];
  return {
    route,
    visited,
    navigate(href) {
      visited.push(href);
      route.value = parseRoute(href);
    },
  };
}

export function application(overrides = {}) {
  return {
    mapping_id: "m1",
    image: "demo/desktop:latest",
    name: "Desktop",
    description: "A desktop in the browser",
    icon_url: null,
    type: "vncapp",
    available: true,
    policy: { workspace: true, volume: null, license: false, allow_view: false },
    configurables: [],
    container: null,
    ...overrides,
  };
}

export function container(overrides = {}) {
  return {
    url_id: "u1",
    mapping_id: "m1",
    user: "alice",
    image: "demo/desktop:latest",
    state: "running",
    url: "/user/alice/containers/u1/",
    created_at: "2025-01-01T10:00:00+00:00",
    ...overrides,
  };
}

/** Mount `component` with what App provides; `store` defaults to one over `api`. */
export function mountWith(
  component,
  { api = fakeApi(), config = CONFIG_ALICE, store, router, props, attachTo, session } = {},
) {
  const applications = store ?? createApplicationsStore(api, { readyPause: 0 });
  const layout = reactive({ immersive: false });
  const wrapper = mount(component, {
    props,
    attachTo,
    global: {
      provide: {
        [API]: api,
        [CONFIG]: config,
        [APPLICATIONS]: applications,
        [ROUTER]: router ?? fakeRouter(),
        [LAYOUT]: layout,
        [SESSION]: session ?? reactive({ loginAgain: "" }),
      },
    },
  });
  return { wrapper, api, store: applications, layout };
}
