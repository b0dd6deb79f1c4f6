import { describe, expect, it } from "vitest";
import { filterApplications } from "../frontend/src/search.js";
import { iconSource } from "../frontend/src/icons.js";
import { application } from "./helpers.js";

const APPS = [
  application({ mapping_id: "a", name: "ParaView", description: "Visualise large data sets" }),
  application({ mapping_id: "b", name: "JupyterLab", description: "Notebooks for Python" }),
  application({ mapping_id: "c", name: "Café Desktop", description: null }),
];

const ids = (apps) => apps.map((app) => app.mapping_id);

describe("filterApplications", () => {
  it("keeps everything for an empty query", () => {
    expect(ids(filterApplications(APPS, ""))).toEqual(["a", "b", "c"]);
    expect(ids(filterApplications(APPS, "   "))).toEqual(["a", "b", "c"]);
  });

  it("matches names and descriptions, in any case", () => {
    expect(ids(filterApplications(APPS, "para"))).toEqual(["a"]);
    expect(ids(filterApplications(APPS, "PYTHON"))).toEqual(["b"]);
  });

  it("needs every word, and ignores accents", () => {
    expect(ids(filterApplications(APPS, "data visualise"))).toEqual(["a"]);
    expect(ids(filterApplications(APPS, "data python"))).toEqual([]);
    expect(ids(filterApplications(APPS, "cafe"))).toEqual(["c"]);
  });
});

describe("iconSource", () => {
  it("takes an absolute path on this site only", () => {
    const url = "/user/alice/api/v1/applications/m1/icon";
    expect(iconSource(url)).toBe(url);
    expect(iconSource(null)).toBeNull();
    expect(iconSource("")).toBeNull();
    expect(iconSource("iVBORw0KGgo=")).toBeNull(); // the inline base64 the API sent once
    expect(iconSource("data:image/png;base64,iVBORw0KGgo=")).toBeNull();
    expect(iconSource("javascript:alert(1)")).toBeNull();
    expect(iconSource("https://evil.example/x.png")).toBeNull();
    expect(iconSource("//evil.example/x.png")).toBeNull();
    expect(iconSource("/\\evil.example/x.png")).toBeNull();
    expect(iconSource('/x" onerror="alert(1)')).toBeNull();
  });
});
