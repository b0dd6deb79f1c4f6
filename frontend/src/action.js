// Requests from a view: `run` for a change (busy while it runs, the server's message
// if it fails, a confirmation if it succeeds), `load` for a read (only the answer to
// the latest read is applied, so that a slow old search cannot overwrite a new one).
import { ref } from "vue";

export function useAction() {
  const busy = ref(false);
  const loading = ref(false);
  const error = ref("");
  const notice = ref("");
  let loadError = false;
  let latest = 0;

  /** Run `task`; true if it succeeded. `success` is the notice, or makes it from the result. */
  async function run(task, success) {
    busy.value = true;
    error.value = "";
    notice.value = "";
    loadError = false;
    try {
      const result = await task();
      if (success) notice.value = typeof success === "function" ? success(result) : success;
      return true;
    } catch (failure) {
      error.value = failure.message;
      return false;
    } finally {
      busy.value = false;
    }
  }

  /** Read with `fetch()` and hand the answer to `apply`, unless a newer read began. */
  async function load(fetch, apply) {
    const ticket = ++latest;
    loading.value = true;
    try {
      const answer = await fetch();
      if (ticket !== latest) return;
      apply(answer);
      if (loadError) error.value = "";
      loadError = false;
    } catch (failure) {
      if (ticket !== latest) return;
      error.value = failure.message;
      loadError = true;
    } finally {
      if (ticket === latest) loading.value = false;
    }
  }

  return { busy, loading, error, notice, run, load };
}
