// A grant's policy in plain words, for the user; and the admin forms' policy fields.
import { duration } from "./format.js";

const MODES = { ro: "read-only", rw: "read and write" };

/** What a policy (an item of GET applications) gives, each with an icon and a tone. */
export function policyStatements(policy) {
  const statements = [];
  if (!policy) return statements;
  const say = (text, icon, tone = "info") => statements.push({ text, icon, tone });
  if (policy.workspace) say("Your workspace is mounted at /workspace", "folder");
  if (policy.volume) {
    const mode = MODES[policy.volume.mode] ?? policy.volume.mode;
    say(`A data folder is mounted at ${policy.volume.target} (${mode})`, "folder");
  }
  if (policy.license) say("A licence is provided", "key");
  if (policy.allow_view) say("You may share this application while it runs", "users");
  if (policy.idle_timeout > 0) say(`Stops after ${duration(policy.idle_timeout)} unused`, "clock");
  if (policy.max_lifetime > 0) {
    say(`Runs at most ${duration(policy.max_lifetime)} per start`, "clock");
  }
  if (!policy.workspace && !policy.volume) {
    say(
      "No folder is mounted: files saved inside the application are lost when it stops",
      "alert",
      "warning",
    );
  }
  return statements;
}

/** The same, as sentences. */
export const policyInWords = (policy) => policyStatements(policy).map(({ text }) => text);

/** The admin form's fields from an admin policy (GET admin/grants), or blank ones. */
export function policyForm(policy = {}) {
  return {
    allow_home: Boolean(policy.allow_home),
    allow_view: Boolean(policy.allow_view),
    allow_startup_data: Boolean(policy.allow_startup_data),
    volume: policy.volume ?? "",
    app_license: policy.app_license ?? "",
    idle_timeout: policy.idle_timeout ?? "",
    max_lifetime: policy.max_lifetime ?? "",
  };
}

/**
 * Seconds from a number field (a number, or text: the input gives either): blank is
 * null, the site's default. Throws, with words for the admin, unless a whole number
 * of 0 or more, so that the request (which runs this) shows that instead.
 */
function secondsFromField(value, label) {
  const text = String(value ?? "").trim();
  if (!text) return null;
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new Error(`${label} must be a whole number of seconds, 0 or more.`);
  }
  return seconds;
}

/** The JSON policy the admin API takes, from the form's fields (blank is null). */
export function policyFromForm(form) {
  const volume = form.volume.trim();
  return {
    allow_home: form.allow_home,
    allow_view: form.allow_view,
    allow_startup_data: form.allow_startup_data,
    volume: volume || null,
    app_license: form.app_license.trim() ? form.app_license : null,
    idle_timeout: secondsFromField(form.idle_timeout, "The idle timeout"),
    max_lifetime: secondsFromField(form.max_lifetime, "The maximum lifetime"),
  };
}

/** Short labels of an admin policy, for a table cell. */
export function policySummary(policy) {
  const labels = [];
  if (policy.allow_home) labels.push("workspace");
  if (policy.volume) labels.push(`volume ${policy.volume}`);
  if (policy.allow_startup_data) labels.push("startup data");
  if (policy.allow_view) labels.push("view");
  if (policy.app_license) labels.push("licence");
  // null is the site's default, which the table does not repeat; 0 (no limit) shows.
  if (policy.idle_timeout !== null && policy.idle_timeout !== undefined) {
    labels.push(`idle ${policy.idle_timeout}s`);
  }
  if (policy.max_lifetime !== null && policy.max_lifetime !== undefined) {
    labels.push(`lifetime ${policy.max_lifetime}s`);
  }
  return labels;
}
