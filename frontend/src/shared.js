// What others share with the user (GET shared), for the dashboard. It is read when
// the dashboard shows, again on each "shared" event of the applications store's
// stream and, as the fallback, at the pace of that store's polls.
import { reactive, watch } from "vue";
import { LIVE_POLL_INTERVAL, POLL_INTERVAL } from "./applications.js";
import { createPoller } from "./poller.js";

/** `applications` is the applications store, whose events and pace this follows. */
export function createSharedStore(api, applications, { doc } = {}) {
  const state = reactive({ items: [], loaded: false, loadError: "" });

  async function refresh() {
    try {
      const { items } = await api.get("shared");
      state.items = items;
      state.loaded = true;
      state.loadError = "";
    } catch (error) {
      if (error.status === 403) {
        // The site does not share (its apps have no origins of their own): every
        // poll would be refused the same way, and there is nothing to show.
        state.items = [];
        stop();
        return;
      }
      state.loadError = error.message;
    }
  }

  const interval = () => (applications.state.live ? LIVE_POLL_INTERVAL : POLL_INTERVAL);
  const poller = createPoller(refresh, { interval, doc });

  let undo = [];
  function start() {
    if (undo.length) return;
    undo = [
      applications.onEvent("shared", () => poller.now()),
      // A change made while the stream was down went unannounced.
      applications.onEvent("ready", () => poller.now()),
      watch(
        () => applications.state.live,
        () => poller.reschedule(),
      ),
    ];
    poller.start();
  }

  function stop() {
    poller.stop();
    for (const step of undo) step();
    undo = [];
  }

  return { state, refresh, start, stop };
}
