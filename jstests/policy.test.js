import { describe, expect, it } from "vitest";
import { policyForm, policyFromForm, policyInWords, policySummary } from "../frontend/src/policy.js";

describe("policyInWords", () => {
  it("says what the grant gives, plainly", () => {
    expect(
      policyInWords({
        workspace: true,
        volume: { target: "/data", mode: "ro" },
        license: true,
        idle_timeout: 600,
        max_lifetime: 7200,
      }),
    ).toEqual([
      "Your workspace is mounted at /workspace",
      "A data folder is mounted at /data (read-only)",
      "A licence is provided",
      "Stops after 10 minutes unused",
      "Runs at most 2 hours per start",
    ]);
  });

  it("says the app may be shared when the grant allows it, and no limit that is not there", () => {
    const words = policyInWords({ workspace: true, allow_view: true, idle_timeout: 0, max_lifetime: 90 });
    expect(words).toEqual([
      "Your workspace is mounted at /workspace",
      "You may share this application while it runs",
      "Runs at most 90 seconds per start",
    ]);
    expect(policyInWords({ workspace: true, allow_view: false })).toEqual([
      "Your workspace is mounted at /workspace",
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
      idle_timeout: 0,
      max_lifetime: null,
    };
    const form = policyForm(policy);
    expect(form).toEqual({ ...policy, app_license: "", max_lifetime: "" });
    expect(policyFromForm(form)).toEqual(policy);
    // A number input gives a number, or text when typed into: both read the same.
    expect(policyFromForm({ ...form, idle_timeout: "300", max_lifetime: 60 })).toMatchObject({
      idle_timeout: 300,
      max_lifetime: 60,
    });
    expect(policyFromForm({ ...policyForm(), volume: "  ", app_license: " " })).toEqual({
      allow_home: false,
      allow_view: false,
      allow_startup_data: false,
      volume: null,
      app_license: null,
      idle_timeout: null,
      max_lifetime: null,
    });
  });

  it("refuses a time limit that is not a whole number of seconds", () => {
    for (const bad of ["-1", "1.5", "ten"]) {
      expect(() => policyFromForm({ ...policyForm(), idle_timeout: bad })).toThrow(
        "The idle timeout must be a whole number of seconds, 0 or more.",
      );
    }
    expect(() => policyFromForm({ ...policyForm(), max_lifetime: "-5" })).toThrow(
      "The maximum lifetime must be",
    );
  });

  it("summarises a policy in short labels", () => {
    expect(policySummary({ allow_home: true, volume: "/a:/b:rw", app_license: "k" })).toEqual([
      "workspace",
      "volume /a:/b:rw",
      "licence",
    ]);
    // The site's default (null) is not repeated; no limit (0) is said.
    expect(policySummary({ idle_timeout: 0, max_lifetime: null })).toEqual(["idle 0s"]);
    expect(policySummary({ idle_timeout: 30, max_lifetime: 3600 })).toEqual(["idle 30s", "lifetime 3600s"]);
  });
});
