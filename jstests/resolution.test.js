import { describe, expect, it } from "vitest";
import {
  FIT,
  FRAME_BAR_HEIGHT,
  fitResolution,
  resolutionOptions,
  resolveResolution,
  withinBounds,
} from "../frontend/src/resolution.js";

const BOUNDS = { name: "resolution", minimum: "640x480", maximum: "7680x4320" };

describe("Fit my window", () => {
  it("fills the window below the bar, rounded down to a multiple of 8", () => {
    expect(fitResolution({ width: 1280, height: 720 }, BOUNDS)).toBe(`1280x${720 - FRAME_BAR_HEIGHT - 4}`);
    expect(fitResolution({ width: 1283, height: 800 }, BOUNDS)).toBe("1280x744");
    expect(fitResolution({ width: 1920, height: 1080 }, BOUNDS, 0)).toBe("1920x1080");
  });

  it("stays within the server's bounds", () => {
    expect(fitResolution({ width: 300, height: 200 }, BOUNDS)).toBe("640x480");
    expect(fitResolution({ width: 20000, height: 9000 }, BOUNDS)).toBe("7680x4320");
    const narrow = { minimum: "800x600", maximum: "1600x1000" };
    expect(fitResolution({ width: 2560, height: 500 }, narrow)).toBe("1600x600");
  });

  it("uses the server's default bounds if the configurable gives none", () => {
    expect(fitResolution({ width: 100, height: 100 }, { name: "resolution" })).toBe("640x480");
  });
});

describe("the resolution choices", () => {
  it("offer fit first, then common sizes within the bounds, as WxH values", () => {
    const options = resolutionOptions({ minimum: "1024x700", maximum: "1920x1080" }, { width: 1400, height: 900 });
    expect(options[0]).toEqual({ value: FIT, label: "Fit my window (1400 × 848)" });
    const sizes = options.slice(1).map((o) => o.value);
    expect(sizes).toContain("1024x768");
    expect(sizes).toContain("1920x1080");
    expect(sizes).not.toContain("2560x1440");
    expect(sizes.every((size) => /^\d+x\d+$/.test(size))).toBe(true);
  });

  it("send the fitted size for fit and the size itself otherwise", () => {
    expect(resolveResolution(FIT, BOUNDS, { width: 1024, height: 820 })).toBe("1024x768");
    expect(resolveResolution("1280x800", BOUNDS, { width: 1, height: 1 })).toBe("1280x800");
  });

  it("know what is within bounds", () => {
    expect(withinBounds("640x480", BOUNDS)).toBe(true);
    expect(withinBounds("639x480", BOUNDS)).toBe(false);
    expect(withinBounds("banana", BOUNDS)).toBe(false);
  });
});
