// Runs `task` again and again while the page is visible: at once, then `interval()`
// ms after each run ends (so a slow answer never piles requests up). A hidden page
// is not polled; it is refreshed as soon as it shows again.

export function createPoller(task, { interval, doc = document } = {}) {
  let timer = null;
  let running = null; // the run under way, if any
  let again = false; // asked for while a run was under way: run once more after it
  let active = false;

  const visible = () => doc.visibilityState !== "hidden";

  function cancel() {
    clearTimeout(timer);
    timer = null;
  }

  function schedule() {
    cancel();
    if (active && visible()) timer = setTimeout(run, interval());
  }

  function run() {
    if (!active) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    cancel();
    running = (async () => {
      try {
        await task();
      } catch {
        // The task reports its own errors; polling goes on.
      }
    })().finally(() => {
      running = null;
      if (again) {
        again = false;
        run();
      } else schedule();
    });
    return running;
  }

  const onVisibility = () => (visible() ? run() : cancel());

  return {
    start() {
      if (active) return;
      active = true;
      doc.addEventListener("visibilitychange", onVisibility);
      run();
    },
    stop() {
      active = false;
      again = false;
      cancel();
      doc.removeEventListener("visibilitychange", onVisibility);
    },
    /** Poll now (after an action), then carry on at the usual pace. */
    now: () => run(),
    /** Take a new interval into account at once (e.g. a start has just begun). */
    reschedule: () => {
      if (!running) schedule();
    },
  };
}
