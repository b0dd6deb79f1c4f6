import { describe, expect, it } from "vitest";
import { readConfig } from "../frontend/src/config.js";

function page(json) {
  const doc = document.implementation.createHTMLDocument("test");
  const block = doc.createElement("script");
  block.id = "remoteappmanager-config";
  block.type = "application/json";
  block.textContent = json;
  doc.head.append(block);
  return doc;
}

const CONFIG = {
  user: "alice",
  base_url: "/user/alice/",
  api_url: "/user/alice/api/v1/",
  hub_url: "/hub/",
  admin: false,
  xsrf_token: "2|token",
};

describe("readConfig", () => {
  it("reads what the service wrote, escapes undone", () => {
    const hostile = { ...CONFIG, user: "</script><b>x</b>" };
    const json = JSON.stringify(hostile).replaceAll("<", "\\u003c").replaceAll(">", "\\u003e");
    expect(readConfig(page(json))).toEqual(hostile);
  });

  it("refuses a page without its configuration", () => {
    expect(() => readConfig(document.implementation.createHTMLDocument("x"))).toThrow(
      "no configuration block",
    );
    const { xsrf_token, ...incomplete } = CONFIG;
    expect(() => readConfig(page(JSON.stringify(incomplete)))).toThrow("lacks xsrf_token");
  });
});
