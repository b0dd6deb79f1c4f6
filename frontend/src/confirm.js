// The state of a view's ConfirmDialog: ask(question, action) opens it; the action
// runs only on "yes".
import { reactive } from "vue";

export function useConfirm() {
  const dialog = reactive({ open: false, title: "", message: "", confirmLabel: "Confirm" });
  let action = null;

  function close() {
    dialog.open = false;
    action = null;
  }

  return {
    dialog,
    ask(question, run) {
      Object.assign(dialog, { message: "", confirmLabel: "Confirm", ...question, open: true });
      action = run;
    },
    confirm() {
      const run = action;
      close();
      return run?.();
    },
    cancel: close,
  };
}
