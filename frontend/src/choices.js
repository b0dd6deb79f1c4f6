// What the grant form offers to pick from, found by the server's search (`q`): one
// page of user names and one of applications, never the whole lists. Applications
// met on the way are remembered, so that a grant's row can name its application.
import { computed, reactive, ref } from "vue";
import { useAction } from "./action.js";
import { segment } from "./api.js";

export const CHOICES_LIMIT = 50;

export function useGrantChoices(api) {
  const userSearch = useAction();
  const applicationSearch = useAction();
  const users = ref([]); // the names the latest user search found
  const applications = ref([]); // the applications the latest search found
  const moreApplications = ref(false); // that search found more than one page
  const known = reactive(new Map()); // id → application, all read so far
  const asked = new Set();

  const remember = (items) => items.forEach((application) => known.set(application.id, application));

  function findUsers(q = "") {
    return userSearch.load(
      () => api.get("admin/users", { q, limit: CHOICES_LIMIT }),
      (answer) => (users.value = answer.items.map((user) => user.name)),
    );
  }

  function findApplications(q = "") {
    return applicationSearch.load(
      () => api.get("admin/applications", { q, limit: CHOICES_LIMIT }),
      (answer) => {
        remember(answer.items);
        applications.value = answer.items;
        moreApplications.value = (answer.total ?? answer.items.length) > answer.items.length;
      },
    );
  }

  /** Read, once each, the applications of `ids` that no search has brought. */
  async function learn(ids) {
    const missing = [...new Set(ids.filter((id) => id !== "" && id !== null).map(Number))].filter(
      (id) => !known.has(id) && !asked.has(id),
    );
    missing.forEach((id) => asked.add(id));
    await Promise.all(
      missing.map(async (id) => {
        try {
          known.set(id, await api.get(`admin/applications/${segment(id)}`));
        } catch {
          // Gone, say: the grant's image stands for its name.
        }
      }),
    );
  }

  /** The latest search's applications, with the one picked (an id) if it is not among them. */
  function optionsWith(picked) {
    const id = picked === "" || picked === null ? null : Number(picked);
    if (id === null || !known.has(id) || applications.value.some((a) => a.id === id)) return applications.value;
    return [known.get(id), ...applications.value];
  }

  // reactive: the refs read as plain values, in templates too.
  return reactive({
    users,
    applications,
    moreApplications,
    error: computed(() => userSearch.error.value || applicationSearch.error.value),
    findUsers,
    findApplications,
    learn,
    optionsWith,
    nameOf: (grant) => known.get(grant.application_id)?.labels.name ?? grant.image,
  });
}
