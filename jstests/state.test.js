import { describe, expect, it } from "vitest";
import { STATES, applicationState } from "../frontend/src/state.js";
import { application, container } from "./helpers.js";

describe("applicationState (the badge)", () => {
  it("follows the container", () => {
    expect(applicationState(application())).toBe("stopped");
    expect(applicationState(application({ container: container() }))).toBe("running");
    expect(applicationState(application({ container: container({ state: "created" }) }))).toBe("starting");
    expect(applicationState(application({ container: container({ state: "restarting" }) }))).toBe("starting");
    expect(applicationState(application({ container: container({ state: "removing" }) }))).toBe("stopping");
    expect(applicationState(application({ container: container({ state: "exited" }) }))).toBe("error");
    expect(applicationState(application({ container: container({ state: "dead" }) }))).toBe("error");
  });

  it("shows what this page is doing before the next poll", () => {
    expect(applicationState(application(), "starting")).toBe("starting");
    expect(applicationState(application({ container: container() }), "stopping")).toBe("stopping");
    // During a start the container runs before the app answers: still "starting".
    expect(applicationState(application({ container: container() }), "starting")).toBe("starting");
  });

  it("shows a failed start as an error until the app runs", () => {
    expect(applicationState(application(), undefined, "it did not come up")).toBe("error");
    expect(applicationState(application({ container: container() }), undefined, "x")).toBe("running");
  });

  it("says one of the five words", () => {
    expect(STATES).toEqual(["stopped", "starting", "running", "stopping", "error"]);
  });
});
