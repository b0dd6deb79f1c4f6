// Apps on their own origin: the proxy learns the app's host a moment after the app
// has started (the router adds the route), so the page waits until the app's origin
// answers before it opens the app there. The ping carries no credentials.
export const PING_PATH = "/_remoteappmanager/ping";

export async function waitForAppOrigin(
  origin,
  { fetchImpl = fetch, attempts = 50, delayMs = 100, sleep = defaultSleep } = {},
) {
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const answer = await fetchImpl(`${origin}${PING_PATH}`, {
        credentials: "omit",
        cache: "no-store",
      });
      if (answer.ok) return true;
    } catch {
      // Not routed yet (the Hub answers, without the CORS header): try again.
    }
    await sleep(delayMs);
  }
  return false;
}

function defaultSleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
