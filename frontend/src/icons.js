// An application's icon is loaded from this service's API, where its `icon_url` (an
// absolute path) points; anything else (another site, a scheme such as data: or
// javascript:) gets the letter tile, as the page's policy would load no other image.

const PATH_ON_THIS_SITE = /^\/(?![/\\])[^\s\\]*$/;

export function iconSource(iconUrl) {
  return typeof iconUrl === "string" && PATH_ON_THIS_SITE.test(iconUrl) ? iconUrl : null;
}

export const TYPE_LABELS = { webapp: "Web app", vncapp: "Desktop", jupyter: "JupyterLab" };
export const typeLabel = (type) => TYPE_LABELS[type] ?? type ?? "";
