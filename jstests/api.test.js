import { describe, expect, it, vi } from "vitest";
import { ApiError, createApi, segment } from "../frontend/src/api.js";

function respond(status, body, { statusText = "", raw = false } = {}) {
  const text = body === undefined ? "" : raw ? body : JSON.stringify(body);
  return new Response(status === 204 ? null : text, { status, statusText });
}

function client(...answers) {
  const fetch = vi.fn();
  for (const answer of answers) {
    if (answer instanceof Error) fetch.mockRejectedValueOnce(answer);
    else fetch.mockResolvedValueOnce(answer);
  }
  return { fetch, api: createApi({ baseUrl: "/user/alice/api/v1/", xsrfToken: "2|tok", fetch }) };
}

describe("the API client", () => {
  it("GETs JSON from under the API's URL, with a query", async () => {
    const { fetch, api } = client(respond(200, { items: [1] }));
    expect(await api.get("admin/users", { q: "al i", offset: 0, limit: 50, user: "" })).toEqual({
      items: [1],
    });
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe("/user/alice/api/v1/admin/users?q=al+i&offset=0&limit=50");
    expect(init.method).toBe("GET");
    expect(init.credentials).toBe("same-origin");
    expect(init.body).toBeUndefined();
    expect(init.headers["Content-Type"]).toBeUndefined();
  });

  it("sends the XSRF token on writes, with a JSON body", async () => {
    const { fetch, api } = client(respond(201, { url_id: "u1" }), respond(200, {}));
    await api.post("containers", { mapping_id: "m1", configurables: { resolution: "1024x768" } });
    await api.patch("admin/grants/g1", { policy: {} });
    for (const [, init] of fetch.mock.calls) {
      expect(init.headers["X-XSRFToken"]).toBe("2|tok");
      expect(init.headers["Content-Type"]).toBe("application/json");
      expect(init.credentials).toBe("same-origin");
    }
    expect(JSON.parse(fetch.mock.calls[0][1].body)).toEqual({
      mapping_id: "m1",
      configurables: { resolution: "1024x768" },
    });
    expect(fetch.mock.calls.map(([, init]) => init.method)).toEqual(["POST", "PATCH"]);
  });

  it("sends the XSRF token on reads too, as JupyterHub asks of a script's requests", async () => {
    // JupyterHub ignores the login cookie of a fetch() (Sec-Fetch-Mode: cors) that
    // lacks the token, GET included (openapi.yaml, hubCookie).
    const { fetch, api } = client(respond(200, { items: [] }));
    await api.get("applications");
    expect(fetch.mock.calls[0][1].headers["X-XSRFToken"]).toBe("2|tok");
  });

  it("answers null to a 204 and DELETEs without a body", async () => {
    const { fetch, api } = client(respond(204));
    expect(await api.delete(`containers/${segment("a/b")}`)).toBeNull();
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe("/user/alice/api/v1/containers/a%2Fb");
    expect(init.method).toBe("DELETE");
    expect(init.headers["X-XSRFToken"]).toBe("2|tok");
    expect(init.body).toBeUndefined();
  });

  it("throws the server's message with the status", async () => {
    const { api } = client(
      respond(400, { error: { code: 400, message: "the resolution 10x10 is outside 640x480 to 7680x4320" } }),
    );
    const error = await api.post("containers", { mapping_id: "m1" }).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toBe("the resolution 10x10 is outside 640x480 to 7680x4320");
    expect(error.status).toBe(400);
  });

  it("says what the status was when the error is not the service's JSON", async () => {
    const { api } = client(respond(502, "<html>Bad gateway</html>", { raw: true, statusText: "Bad Gateway" }));
    const error = await api.get("applications").catch((e) => e);
    expect(error.message).toBe("The service answered 502 Bad Gateway.");
    expect(error.status).toBe(502);
  });

  it("gives a readable message when the network fails", async () => {
    const { api } = client(new TypeError("Failed to fetch"));
    const error = await api.get("applications").catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toMatch(/cannot be reached/);
    expect(error.status).toBe(0);
  });

  it("refuses a success that is not JSON", async () => {
    const { api } = client(respond(200, "<html>login</html>", { raw: true }));
    await expect(api.get("applications")).rejects.toThrow("not JSON");
  });
});

describe("a change that needs a recent login", () => {
  it("carries where to log in again, and says so to the page", async () => {
    const said = [];
    const fetch = async () =>
      new Response(
        JSON.stringify({
          error: { code: 403, message: "log in again, then retry", login_again: "/user/alice/logout" },
        }),
        { status: 403, headers: { "Content-Type": "application/json" } },
      );
    const api = createApi({
      baseUrl: "/user/alice/api/v1/",
      xsrfToken: "t",
      fetch,
      onLoginAgain: (url) => said.push(url),
    });
    const error = await api.post("admin/users", { name: "x" }).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect([error.status, error.message, error.loginAgain]).toEqual([
      403,
      "log in again, then retry",
      "/user/alice/logout",
    ]);
    expect(said).toEqual(["/user/alice/logout"]);
  });
});
