// A tiny hash router: the page is served at one URL (/user/<name>/), the hash says
// which view shows. Routes:
//   #/                       the user's applications
//   #/apps/<mapping_id>      one application (its frame while it runs)
//   #/admin                  the admin overview
//   #/admin/<section>        users, applications, grants, containers, shares, audit
// A query may follow the path: #/admin/grants?user=alice
import { readonly, ref } from "vue";

export const ADMIN_SECTIONS = [
  "overview",
  "users",
  "applications",
  "grants",
  "containers",
  "shares",
  "audit",
];

function decode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

export function parseRoute(hash) {
  const raw = (hash || "").replace(/^#/, "");
  const [pathPart, queryPart = ""] = raw.split("?", 2);
  const query = Object.fromEntries(new URLSearchParams(queryPart));
  const parts = pathPart.split("/").filter(Boolean);
  const notFound = { name: "not-found", params: {}, query, path: pathPart };

  if (parts.length === 0) return { name: "home", params: {}, query, path: "/" };
  if (parts[0] === "apps" && parts.length === 2) {
    const mappingId = decode(parts[1]);
    if (!mappingId) return notFound;
    return { name: "app", params: { mappingId }, query, path: pathPart };
  }
  if (parts[0] === "admin" && parts.length <= 2) {
    const section = parts[1] ?? "overview";
    if (!ADMIN_SECTIONS.includes(section)) return notFound;
    return { name: "admin", params: { section }, query, path: pathPart };
  }
  return notFound;
}

/** The hash of a route, the inverse of parseRoute. */
export function routeHref(name, params = {}, query = {}) {
  let path = "/";
  if (name === "app") path = `/apps/${encodeURIComponent(params.mappingId)}`;
  else if (name === "admin") {
    path = !params.section || params.section === "overview" ? "/admin" : `/admin/${params.section}`;
  }
  const pairs = Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return `#${path}${pairs.length ? `?${new URLSearchParams(pairs)}` : ""}`;
}

export const appHref = (mappingId) => routeHref("app", { mappingId });
export const adminHref = (section, query) => routeHref("admin", { section }, query);
export const HOME = routeHref("home");

/**
 * The current route, kept up to date from `hashchange`; `stop()` stops listening.
 */
export function createRouter(win = window) {
  const current = ref(parseRoute(win.location.hash));
  const update = () => {
    current.value = parseRoute(win.location.hash);
  };
  win.addEventListener("hashchange", update);
  return {
    route: readonly(current),
    navigate(href) {
      if (win.location.hash === href) update();
      else win.location.hash = href;
    },
    stop: () => win.removeEventListener("hashchange", update),
  };
}
