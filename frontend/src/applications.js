// The user's applications, shared by the dashboard and the application view: the
// list from the last poll, and what this page is doing to each (starting, stopping,
// the step of a start, the message of a failure). The service's event stream makes
// it refresh at once, and passes each event on to whoever subscribed to its kind
// (onEvent); polling stays as the fallback for when the stream is down.
import { reactive } from "vue";
import { segment } from "./api.js";
import { openEventStream } from "./events.js";
import { createPoller } from "./poller.js";
import { startApplication } from "./start.js";
import { applicationState } from "./state.js";

export const POLL_INTERVAL = 3000;
export const BUSY_POLL_INTERVAL = 1000;
/** While the event stream is live, a poll only catches what the stream might miss. */
export const LIVE_POLL_INTERVAL = 30000;
/** How long "Ready" shows before the application's frame replaces it. */
export const READY_PAUSE = 700;

/** Events about sharing, for their listeners only (the share panel, the shared list). */
const SHARING_KINDS = new Set(["shares", "shared"]);

export const CULLED_NOTICES = {
  idle: "Stopped after being unused past its idle timeout. Your workspace is kept.",
  lifetime: "Stopped after reaching its time limit. Your workspace is kept.",
  other: "Stopped by the service. Your workspace is kept.",
};

/**
 * `options.eventsUrl` (events.js eventsUrl) opens the event stream while polling runs;
 * without it, or without an EventSource (jsdom has none), the store only polls.
 */
export function createApplicationsStore(api, options = {}) {
  const {
    doc,
    readyPause = READY_PAUSE,
    startOptions = {},
    eventsUrl,
    EventSource = globalThis.EventSource,
  } = options;
  const state = reactive({
    items: [],
    loaded: false,
    loadError: "",
    live: false, // the event stream is connected
    pending: {}, // mapping_id -> "starting" | "stopping"
    progress: {}, // mapping_id -> "create" | "wait" | "ready"
    failures: {}, // mapping_id -> message
    extending: {}, // mapping_id -> true while an extend is under way
    notices: {}, // mapping_id -> why the culler stopped it
  });

  const busy = () => Object.keys(state.pending).length > 0;
  // Bumped when a start or stop begins or ends: a poll sent before that is stale
  // (it could show a stopped app as still running) and is dropped.
  let generation = 0;

  async function refresh() {
    const asked = generation;
    try {
      const { items } = await api.get("applications");
      if (asked !== generation) return;
      state.items = items;
      // A notice of a cull is old news once the app runs again (started elsewhere).
      for (const app of items) if (app.container) delete state.notices[app.mapping_id];
      state.loaded = true;
      state.loadError = "";
    } catch (error) {
      state.loadError = error.message;
    }
  }

  // Live, the stream announces every change, a start's or stop's too.
  const interval = () =>
    state.live ? LIVE_POLL_INTERVAL : busy() ? BUSY_POLL_INTERVAL : POLL_INTERVAL;
  const poller = createPoller(refresh, { interval, ...(doc ? { doc } : {}) });

  // kind -> the functions subscribed to it with onEvent(kind, listener).
  const listeners = new Map();

  /** Call `listener(data)` for each event of `kind`; returns the unsubscribe. */
  function subscribe(kind, listener) {
    if (!listeners.has(kind)) listeners.set(kind, new Set());
    listeners.get(kind).add(listener);
    return () => listeners.get(kind)?.delete(listener);
  }

  function handleEvent({ kind, data }) {
    if (kind === "culled" && data.mapping_id) {
      // A poll sent before the cull would show the app running still.
      generation += 1;
      delete state.failures[data.mapping_id];
      state.notices[data.mapping_id] = CULLED_NOTICES[data.reason] ?? CULLED_NOTICES.other;
    }
    // Who an app is shared with is not in the applications list: no need to read it.
    if (!SHARING_KINDS.has(kind)) poller.now();
    for (const listener of [...(listeners.get(kind) ?? [])]) {
      try {
        listener(data);
      } catch {
        // A listener reports its own errors; the others still hear of the event.
      }
    }
  }

  function onLive(live) {
    if (state.live === live) return;
    state.live = live;
    poller.reschedule();
  }

  let stream = null;
  function startPolling() {
    poller.start();
    if (!stream && eventsUrl && EventSource) {
      stream = openEventStream(eventsUrl, { onEvent: handleEvent, onLive, EventSource });
    }
  }

  function stopPolling() {
    poller.stop();
    stream?.close();
    stream = null;
  }

  const find = (mappingId) => state.items.find((app) => app.mapping_id === mappingId);

  function setContainer(mappingId, container) {
    const app = find(mappingId);
    if (app) app.container = container;
  }

  async function start(mappingId, configurables) {
    if (state.pending[mappingId]) return;
    state.pending[mappingId] = "starting";
    generation += 1;
    delete state.failures[mappingId];
    delete state.notices[mappingId];
    poller.reschedule();
    try {
      const container = await startApplication(api, mappingId, configurables, {
        ...startOptions,
        onStep: (step) => {
          state.progress[mappingId] = step;
        },
      });
      setContainer(mappingId, container);
      // "Ready" stays a moment, so that people see the start went through.
      setTimeout(() => {
        if (state.progress[mappingId] === "ready") delete state.progress[mappingId];
      }, readyPause);
    } catch (error) {
      delete state.progress[mappingId];
      state.failures[mappingId] = error.message;
    } finally {
      delete state.pending[mappingId];
      generation += 1;
    }
    await poller.now();
  }

  async function stop(mappingId) {
    const container = find(mappingId)?.container;
    if (!container || state.pending[mappingId]) return;
    state.pending[mappingId] = "stopping";
    generation += 1;
    delete state.failures[mappingId];
    poller.reschedule();
    try {
      await api.delete(`containers/${segment(container.url_id)}`);
      setContainer(mappingId, null);
    } catch (error) {
      state.failures[mappingId] = error.message;
    } finally {
      delete state.pending[mappingId];
      generation += 1;
    }
    await poller.now();
  }

  /** Push the running app's deadline back; the server answers with the container. */
  async function extend(mappingId) {
    const container = find(mappingId)?.container;
    if (!container || state.extending[mappingId]) return;
    state.extending[mappingId] = true;
    delete state.failures[mappingId];
    try {
      const extended = await api.post(`containers/${segment(container.url_id)}/extend`);
      // Kept with what the list adds to a container, should the answer lack it.
      if (find(mappingId)?.container?.url_id === container.url_id) {
        setContainer(mappingId, { ...find(mappingId).container, ...extended });
      }
    } catch (error) {
      state.failures[mappingId] = error.message;
    } finally {
      delete state.extending[mappingId];
    }
  }

  return {
    state,
    find,
    refresh,
    start,
    stop,
    extend,
    stateOf: (app) =>
      applicationState(app, state.pending[app.mapping_id], state.failures[app.mapping_id]),
    dismiss: (mappingId) => delete state.failures[mappingId],
    dismissNotice: (mappingId) => delete state.notices[mappingId],
    startPolling,
    stopPolling,
    onEvent: subscribe,
  };
}
