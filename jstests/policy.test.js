import { describe, expect, it } from "vitest";
import { policyForm, policyFromForm, policyInWords, policySummary } from "../frontend/src/policy.js";

describe("policyInWords", () => {
  it("says what the grant gives, plainly", () => {
    expect(
      policyInWords({
        workspace: true,
        volume: { target: "/data", mode: "ro" },
        license: true,
        allow_view: true,
      }),
    ).toEqual([
      "Your workspace is mounted at /workspace",
      "A data folder is mounted at /data (read-only)",
      "A licence is provided",
      "You may share a view of this application",
    ]);
  });

  it("says a writable volume is writable", () => {
    expect(policyInWords({ workspace: false, volume: { target: "/srv/x", mode: "rw" } })).toEqual([
      "A data folder is mounted at /srv/x (read and write)",
    ]);
  });

  it("warns that nothing is kept when nothing is mounted", () => {
    expect(policyInWords({ workspace: false, volume: null, license: false, allow_view: false })).toEqual([
      "No folder is mounted: files saved inside the application are lost when it stops",
    ]);
    expect(policyInWords(null)).toEqual([]);
  });
});

describe("the admin policy form", () => {
  it("goes from the API's policy to fields and back, blanks as null", () => {
    const policy = {
      allow_home: true,
      allow_view: false,
      allow_startup_data: true,
      volume: "/srv/data:/data:ro",
      app_license: null,
    };
    const form = policyForm(policy);
    expect(form).toEqual({ ...policy, app_license: "" });
    expect(policyFromForm(form)).toEqual(policy);
    expect(policyFromForm({ ...policyForm(), volume: "  ", app_license: " " })).toEqual({
      allow_home: false,
      allow_view: false,
      allow_startup_data: false,
      volume: null,
      app_license: null,
    });
  });

  it("summarises a policy in short labels", () => {
    expect(policySummary({ allow_home: true, volume: "/a:/b:rw", app_license: "k" })).toEqual([
      "workspace",
      "volume /a:/b:rw",
      "licence",
    ]);
  });
});
