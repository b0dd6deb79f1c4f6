// Sharing a running app, in words: with whom, for what, for how long. The owner's
// share panel, the dashboard's shared list and the admin list all say it alike.

export const PERMISSION_LABELS = { view: "View only", control: "Full control" };
export const permissionLabel = (permission) => PERMISSION_LABELS[permission] ?? permission;

/** What each permission lets the other person do, for the form's hint. */
export const PERMISSION_HINTS = {
  view: "View only: they see the app as it runs, without using it.",
  control: "Full control: they use the app as you do.",
};

/** Those a share can be made for (the API's `kind`), as the form offers them. */
export const SHARE_KINDS = [
  { value: "user", label: "A user", nameLabel: "User name", placeholder: "Their Hub user name" },
  { value: "group", label: "A group", nameLabel: "Group name", placeholder: "A Hub group" },
  { value: "link", label: "Anyone with a link" },
];

const HOUR = 3600;

/** How long a share lasts (the API's `expires_in`); a site may allow less than 7 days. */
export const EXPIRY_CHOICES = [
  { seconds: HOUR, label: "1 hour" },
  { seconds: 8 * HOUR, label: "8 hours" },
  { seconds: 24 * HOUR, label: "1 day" },
  { seconds: 7 * 24 * HOUR, label: "7 days" },
];

/** The service's own default (Sharing.default_expiry), chosen until the owner picks. */
export const DEFAULT_EXPIRY = 24 * HOUR;

/** "bob", "group operators", "anyone with the link", "bob (by link)". */
export function sharedWith(share) {
  // A share got by opening a link names the user who opened it.
  if (share.via) return `${share.name} (by link)`;
  if (share.kind === "link") return "anyone with the link";
  if (share.kind === "group") return `group ${share.name}`;
  return share.name;
}

/** The icon of a share's row: one person, a group, a link. */
export const shareIcon = (share) =>
  share.via || share.kind === "user" ? "user" : share.kind === "group" ? "users" : "link";
