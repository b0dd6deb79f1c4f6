// What the service writes into the page (handlers/pages.py): who is logged in, where
// the API is, whether the admin pages are for them, and the XSRF token for writes.
const REQUIRED = ["user", "base_url", "api_url", "hub_url", "admin", "xsrf_token"];

export function readConfig(doc = document) {
  const block = doc.getElementById("remoteappmanager-config");
  if (!block) throw new Error("the page has no configuration block");
  const config = JSON.parse(block.textContent);
  const missing = REQUIRED.filter((key) => !(key in config));
  if (missing.length) throw new Error(`the page's configuration lacks ${missing.join(", ")}`);
  return Object.freeze(config);
}
