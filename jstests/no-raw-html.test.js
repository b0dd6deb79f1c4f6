// @vitest-environment node
// Data is always rendered as text: no template of the frontend may insert HTML.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const FRONTEND = fileURLToPath(new URL("../frontend/", import.meta.url));

function filesUnder(directory, suffixes) {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && suffixes.some((suffix) => entry.name.endsWith(suffix)))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

describe("the frontend's sources", () => {
  const vueFiles = filesUnder(FRONTEND, [".vue"]);

  it("are found", () => {
    expect(vueFiles.length).toBeGreaterThan(10);
  });

  it("never use v-html", () => {
    const offenders = vueFiles.filter((file) => /v-html/.test(readFileSync(file, "utf8")));
    expect(offenders).toEqual([]);
  });

  it("never write innerHTML, outerHTML or insertAdjacentHTML", () => {
    const sources = filesUnder(FRONTEND, [".vue", ".js"]).filter((f) => !f.includes("node_modules"));
    const offenders = sources.filter((file) =>
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write/.test(readFileSync(file, "utf8")),
    );
    expect(offenders).toEqual([]);
  });
});
