import { describe, expect, it } from "vitest";
import { adminHref, appHref, createRouter, parseRoute, routeHref } from "../frontend/src/router.js";

describe("parseRoute", () => {
  it("reads the dashboard, an application and the admin sections", () => {
    expect(parseRoute("")).toMatchObject({ name: "home" });
    expect(parseRoute("#/")).toMatchObject({ name: "home" });
    expect(parseRoute("#/apps/3b2a9c")).toMatchObject({ name: "app", params: { mappingId: "3b2a9c" } });
    expect(parseRoute("#/admin")).toMatchObject({ name: "admin", params: { section: "overview" } });
    for (const section of ["users", "applications", "grants", "containers", "shares", "audit"]) {
      expect(parseRoute(`#/admin/${section}`)).toMatchObject({ name: "admin", params: { section } });
    }
  });

  it("reads the query after the path", () => {
    expect(parseRoute("#/admin/grants?user=al%20ice&application_id=2")).toMatchObject({
      name: "admin",
      params: { section: "grants" },
      query: { user: "al ice", application_id: "2" },
    });
  });

  it("knows nothing else", () => {
    for (const hash of ["#/nope", "#/admin/secrets", "#/apps", "#/apps/a/b", "#/apps/%E0%A4%A"]) {
      expect(parseRoute(hash).name).toBe("not-found");
    }
  });

  it("is the inverse of routeHref, whatever the id holds", () => {
    const odd = "a/b?c#d e";
    expect(appHref(odd)).toBe("#/apps/a%2Fb%3Fc%23d%20e");
    expect(parseRoute(appHref(odd)).params.mappingId).toBe(odd);
    expect(adminHref("overview")).toBe("#/admin");
    expect(adminHref("grants", { user: "bob", application_id: "" })).toBe("#/admin/grants?user=bob");
    expect(routeHref("home")).toBe("#/");
  });
});

describe("createRouter", () => {
  it("follows the hash and navigates", async () => {
    window.location.hash = "#/admin/users";
    const router = createRouter(window);
    expect(router.route.value).toMatchObject({ name: "admin", params: { section: "users" } });
    router.navigate("#/apps/m1");
    await new Promise((resolve) => window.addEventListener("hashchange", resolve, { once: true }));
    expect(router.route.value).toMatchObject({ name: "app", params: { mappingId: "m1" } });
    router.stop();
    window.location.hash = "";
  });
});
