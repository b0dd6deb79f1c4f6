// The one client of the service's REST API, shared by the user and the admin views:
// JSON in and out, the XSRF token on every request, errors as ApiError carrying the
// server's message (meant for people) and the HTTP status.

export class ApiError extends Error {
  constructor(message, status = 0, loginAgain = "") {
    super(message);
    this.name = "ApiError";
    this.status = status;
    // Where to log in again, when a change needs a more recent login.
    this.loginAgain = loginAgain;
  }
}

const UNREACHABLE = "The service cannot be reached. Check your connection and try again.";

function queryString(query) {
  const pairs = Object.entries(query || {}).filter(
    ([, value]) => value !== undefined && value !== null && value !== "",
  );
  return pairs.length ? `?${new URLSearchParams(pairs.map(([k, v]) => [k, String(v)]))}` : "";
}

async function readError(response) {
  let message = "";
  let loginAgain = "";
  try {
    const error = (await response.json())?.error;
    message = error?.message ?? "";
    if (typeof error?.login_again === "string") loginAgain = error.login_again;
  } catch {
    // Not our JSON (a proxy's error page, say): fall back to the status below.
  }
  if (typeof message !== "string" || !message) {
    const phrase = response.statusText ? ` ${response.statusText}` : "";
    message = `The service answered ${response.status}${phrase}.`;
  }
  return new ApiError(message, response.status, loginAgain);
}

/**
 * A client for the API rooted at `baseUrl` (config.api_url).
 *
 * The token goes on reads too: JupyterHub ignores the login cookie of a script's
 * request (`Sec-Fetch-Mode: cors`, which every fetch() sends) that lacks it, GET
 * included, and answers 403.
 */
export function createApi({
  baseUrl,
  xsrfToken,
  fetch: fetchImpl = globalThis.fetch,
  onLoginAgain = () => {},
}) {
  async function request(method, path, { body, query } = {}) {
    const headers = { Accept: "application/json", "X-XSRFToken": xsrfToken };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetchImpl(`${baseUrl}${path}${queryString(query)}`, init);
    } catch {
      throw new ApiError(UNREACHABLE, 0);
    }
    if (!response.ok) {
      const error = await readError(response);
      if (error.loginAgain) onLoginAgain(error.loginAgain);
      throw error;
    }
    if (response.status === 204) return null;
    const text = await response.text();
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError("The service sent an answer that is not JSON.", response.status);
    }
  }

  return {
    get: (path, query) => request("GET", path, { query }),
    post: (path, body) => request("POST", path, { body }),
    patch: (path, body) => request("PATCH", path, { body }),
    delete: (path) => request("DELETE", path),
  };
}

/** A path segment from a name or id that may hold any character. */
export const segment = (value) => encodeURIComponent(String(value));
