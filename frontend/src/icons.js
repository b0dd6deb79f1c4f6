// An application's icon is loaded from this service's API, where its `icon_url` (an
// absolute path) points; anything else (another site, a scheme such as data: or
// javascript:) gets the letter tile, as the page's policy would load no other image.
// The same check keeps the links the page follows from the API's answers on this site.

const PATH_ON_THIS_SITE = /^\/(?![/\\])[^\s\\]*$/;

/** `url` if it is an absolute path on this site, else null. */
export function pathOnThisSite(url) {
  return typeof url === "string" && PATH_ON_THIS_SITE.test(url) ? url : null;
}

export const iconSource = pathOnThisSite;

export const TYPE_LABELS = {
  webapp: "Web app",
  vncapp: "Desktop",
  jupyter: "JupyterLab",
  jupyterlab: "JupyterLab",
};
export const typeLabel = (type) => TYPE_LABELS[type] ?? type ?? "";
