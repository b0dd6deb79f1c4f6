// The composables of the admin lists: a server-paged list, and confirm → run → refresh.
import { describe, expect, it } from "vitest";
import { ApiError } from "../frontend/src/api.js";
import { useAction } from "../frontend/src/action.js";
import { useChanges } from "../frontend/src/changes.js";
import { PAGE_SIZE, usePagedList } from "../frontend/src/paging.js";

describe("usePagedList", () => {
  it("asks for one page at a time and keeps what the server says of it", async () => {
    const asked = [];
    const { page, show } = usePagedList(async (paging) => {
      asked.push(paging);
      return { items: [{ id: paging.offset }], total: 120, offset: paging.offset, limit: paging.limit };
    }, useAction());
    expect(page.loaded).toBe(false);
    await show(0);
    await show(50);
    expect(asked).toEqual([
      { offset: 0, limit: PAGE_SIZE },
      { offset: 50, limit: PAGE_SIZE },
    ]);
    expect([page.items, page.total, page.offset, page.limit, page.loaded]).toEqual([[{ id: 50 }], 120, 50, 50, true]);
  });

  it("steps back to the last page when the one shown has become empty", async () => {
    const asked = [];
    const { page, show } = usePagedList(async ({ offset, limit }) => {
      asked.push(offset);
      return offset >= 20 ? { items: [], total: 15, offset, limit } : { items: ["x"], total: 15, offset, limit };
    }, useAction(), { limit: 10 });
    await show(20);
    await new Promise((resolve) => setTimeout(resolve));
    expect(asked).toEqual([20, 10]);
    expect(page.offset).toBe(10);
  });

  it("shows a failed read as the action's error, and keeps the page it had", async () => {
    const action = useAction();
    let fail = false;
    const { page, show } = usePagedList(async () => {
      if (fail) throw new ApiError("The service answered 503.", 503);
      return { items: ["a"], total: 1, offset: 0, limit: 50 };
    }, action);
    await show(0);
    fail = true;
    await show(0);
    expect(action.error.value).toBe("The service answered 503.");
    expect(page.items).toEqual(["a"]);
  });
});

describe("useChanges", () => {
  it("runs a change only once confirmed, then refreshes and says what it did", async () => {
    const steps = [];
    const changes = useChanges(async () => steps.push("refresh"));
    changes.confirmChange(
      { title: "Remove bob?", confirmLabel: "Remove" },
      async () => (steps.push("delete"), { grants: 2 }),
      (answer) => `Removed bob and ${answer.grants} grants.`,
    );
    expect(changes.confirmer.dialog).toMatchObject({ open: true, title: "Remove bob?", confirmLabel: "Remove" });
    expect(steps).toEqual([]);
    await changes.confirmer.confirm();
    expect(changes.confirmer.dialog.open).toBe(false);
    expect(steps).toEqual(["delete", "refresh"]);
    expect(changes.notice.value).toBe("Removed bob and 2 grants.");
  });

  it("does nothing when the question is answered no", async () => {
    const steps = [];
    const changes = useChanges(async () => steps.push("refresh"));
    changes.confirmChange({ title: "Stop it?" }, async () => steps.push("stop"), "Stopped.");
    changes.confirmer.cancel();
    expect(await changes.confirmer.confirm()).toBeUndefined();
    expect(steps).toEqual([]);
  });

  it("keeps the list as it is and shows the server's message when the change fails", async () => {
    const steps = [];
    const changes = useChanges(async () => steps.push("refresh"));
    const done = await changes.change(async () => {
      throw new ApiError("the user name 'a b' may not contain spaces", 400);
    }, "Added.");
    expect(done).toBe(false);
    expect(steps).toEqual([]);
    expect(changes.error.value).toBe("the user name 'a b' may not contain spaces");
    expect(changes.notice.value).toBe("");
    expect(changes.busy.value).toBe(false);
  });

  it("shares the error of the action the list reads with", async () => {
    const action = useAction();
    const changes = useChanges(async () => {}, action);
    await changes.change(async () => {
      throw new ApiError("no", 409);
    });
    expect(action.error.value).toBe("no");
    expect(changes.error).toBe(action.error);
  });
});
