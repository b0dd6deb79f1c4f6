// The service's stream of events (server-sent, GET events): a container started or
// stopped, a deadline came near or moved, the culler stopped an app, the shares of an
// app changed ("shares", {url_id}), what others share with the user changed
// ("shared"). The page reacts at once instead of waiting for its next poll.

/** The named events the service sends; `ready` comes first, and after each reconnect. */
export const EVENT_KINDS = ["ready", "containers", "deadline", "culled", "shares", "shared"];

/**
 * The stream's address. The token goes in the query: JupyterHub ignores the login
 * cookie of a script's request without it, and EventSource cannot set headers.
 */
export const eventsUrl = (config) =>
  `${config.api_url}events?_xsrf=${encodeURIComponent(config.xsrf_token)}`;

/**
 * Open the stream at `url`. `onEvent({kind, data})` is called for each named event,
 * `onLive(true)` once the service said `ready`, `onLive(false)` when the connection
 * drops (EventSource then reconnects by itself). Returns `close()`.
 */
export function openEventStream(
  url,
  { onEvent, onLive = () => {}, EventSource: Source = globalThis.EventSource },
) {
  const source = new Source(url);
  for (const kind of EVENT_KINDS) {
    source.addEventListener(kind, (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return; // not the service's JSON: nothing to act on
      }
      if (kind === "ready") onLive(true);
      onEvent({ kind, data });
    });
  }
  source.onerror = () => onLive(false);
  return {
    close() {
      source.close();
      onLive(false);
    },
  };
}
