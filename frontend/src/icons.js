// An application's icon is shown only from its base64 PNG, as a data: URI (the page's
// policy allows no other image source); anything else gets the generic icon.

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function iconSource(icon128) {
  if (typeof icon128 !== "string") return null;
  const compact = icon128.replace(/\s+/g, "");
  if (!compact || !BASE64.test(compact)) return null;
  return `data:image/png;base64,${compact}`;
}

export const TYPE_LABELS = { webapp: "Web app", vncapp: "Desktop", jupyter: "JupyterLab" };
export const typeLabel = (type) => TYPE_LABELS[type] ?? type ?? "";
