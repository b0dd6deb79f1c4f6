// What the badge of an application says: stopped, starting, running, stopping, error.
// What this page is doing right now (a start or stop it sent) wins over what the last
// poll saw; then the container's Docker state decides.

export const STATES = ["stopped", "starting", "running", "stopping", "error"];

const DOCKER_STATES = {
  running: "running",
  created: "starting",
  restarting: "starting",
  removing: "stopping",
  // exited, dead, paused: the app is there but does not serve
};

/**
 * @param app       an item of GET applications
 * @param pending   "starting" | "stopping" | undefined: an action of this page under way
 * @param failure   the message of this page's last failed action on it, if any
 */
export function applicationState(app, pending, failure) {
  if (pending === "starting" || pending === "stopping") return pending;
  const container = app.container;
  if (container?.state === "running") return "running";
  if (failure) return "error";
  if (!container) return "stopped";
  return DOCKER_STATES[container.state] ?? "error";
}

/** Words for people, next to the one-word badge. */
export const STATE_HINTS = {
  stopped: "Not running",
  starting: "Starting…",
  running: "Running",
  stopping: "Stopping…",
  error: "Needs attention",
};
