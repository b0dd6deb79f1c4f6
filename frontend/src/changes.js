// A view's changes to the list it shows: confirm (for what cannot be undone), run the
// request, refresh the list if it went through. The error and the notice are the
// view's action's, shown by its ErrorMessage and Notice; the question is shown by
// the ConfirmDialog bound to `confirmer`.
import { useAction } from "./action.js";
import { useConfirm } from "./confirm.js";

/** `refresh()` re-reads the list; `action` is the view's useAction(). */
export function useChanges(refresh, action = useAction()) {
  const confirmer = useConfirm();

  /** Run `task` (success: as useAction's run); refresh if it succeeded. True if so. */
  async function change(task, success) {
    const done = await action.run(task, success);
    if (done) await refresh();
    return done;
  }

  /** Ask `question` ({title, message, confirmLabel}); on yes, change(task, success). */
  function confirmChange(question, task, success) {
    confirmer.ask(question, () => change(task, success));
  }

  return { ...action, confirmer, change, confirmChange };
}
