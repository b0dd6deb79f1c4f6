// Times and numbers as people read them.

const UNITS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "3 minutes ago", "just now". */
export function timeAgo(iso, now = Date.now()) {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const seconds = Math.round((now - then) / 1000);
  if (Math.abs(seconds) < 45) return "just now";
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(-Math.round(seconds / size), unit);
  }
  return format.format(-Math.round(seconds / 60), "minute");
}

/** "1 Jun 2025, 10:03", in the reader's locale. */
export function shortDateTime(iso) {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return "";
  return then.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "14:05", local time. */
export function clockTime(iso) {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(then.getHours())}:${pad(then.getMinutes())}`;
}

/** "14:05" if `iso` falls today (local time), else "8 Dec 2026, 14:05". */
export function clockOrDate(iso, now = new Date()) {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return "";
  return then.toDateString() === new Date(now).toDateString() ? clockTime(iso) : shortDateTime(iso);
}

/** "until 14:05", "until 8 Dec 2026, 14:05": when something given for a time ends. */
export function until(iso, now) {
  const when = clockOrDate(iso, now);
  return when ? `until ${when}` : "";
}

/** The full local date and time, for a title attribute. */
export function dateTime(iso) {
  const then = new Date(iso);
  return Number.isNaN(then.getTime()) ? "" : then.toLocaleString();
}

/** "45 seconds", "10 minutes", "2 hours": a span of seconds in its largest whole unit. */
export function duration(seconds) {
  if (seconds % 3600 === 0) return plural(seconds / 3600, "hour");
  if (seconds % 60 === 0) return plural(seconds / 60, "minute");
  return plural(seconds, "second");
}

export const plural = (count, one, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/** An audit entry's details ({"policy": {...}, ...}) as one line of text. */
export function describeDetails(details) {
  if (details === null || details === undefined) return "";
  if (typeof details !== "object") return String(details);
  return Object.entries(details)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" · ");
}
