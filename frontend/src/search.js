// The search box of the dashboard: every word must appear in the name or description.

const fold = (text) =>
  (text ?? "")
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase();

export function filterApplications(applications, query) {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return applications;
  return applications.filter((app) => {
    const haystack = fold(`${app.name} ${app.description ?? ""}`);
    return words.every((word) => haystack.includes(word));
  });
}
