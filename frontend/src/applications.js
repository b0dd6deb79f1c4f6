// The user's applications, shared by the dashboard and the application view: the
// list from the last poll, and what this page is doing to each (starting, stopping,
// the step of a start, the message of a failure).
import { reactive } from "vue";
import { segment } from "./api.js";
import { createPoller } from "./poller.js";
import { startApplication } from "./start.js";
import { applicationState } from "./state.js";

export const POLL_INTERVAL = 3000;
export const BUSY_POLL_INTERVAL = 1000;
/** How long "Ready" shows before the application's frame replaces it. */
export const READY_PAUSE = 700;

export function createApplicationsStore(api, options = {}) {
  const { doc, readyPause = READY_PAUSE, startOptions = {} } = options;
  const state = reactive({
    items: [],
    loaded: false,
    loadError: "",
    pending: {}, // mapping_id -> "starting" | "stopping"
    progress: {}, // mapping_id -> "create" | "wait" | "ready"
    failures: {}, // mapping_id -> message
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
      state.loaded = true;
      state.loadError = "";
    } catch (error) {
      state.loadError = error.message;
    }
  }

  const poller = createPoller(refresh, {
    interval: () => (busy() ? BUSY_POLL_INTERVAL : POLL_INTERVAL),
    ...(doc ? { doc } : {}),
  });

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

  return {
    state,
    find,
    refresh,
    start,
    stop,
    stateOf: (app) =>
      applicationState(app, state.pending[app.mapping_id], state.failures[app.mapping_id]),
    dismiss: (mappingId) => delete state.failures[mappingId],
    startPolling: () => poller.start(),
    stopPolling: () => poller.stop(),
  };
}
