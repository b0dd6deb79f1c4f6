// Starting an application, step by step. POST containers answers only once the app
// answers under its URL, which can take a while; meanwhile GET containers tells when
// its container exists, which is the moment we go from the first step to the second.

export const START_STEPS = [
  { id: "create", label: "Creating the container" },
  { id: "wait", label: "Waiting for the application to answer" },
  { id: "ready", label: "Ready" },
];

export const stepIndex = (id) => START_STEPS.findIndex((step) => step.id === id);
export const stepLabel = (id) => START_STEPS[stepIndex(id)]?.label ?? "";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Start `mappingId` with `configurables`; `onStep(id)` hears "create", "wait" (once
 * the container is seen) and "ready". Resolves to the container; rejects with the
 * POST's error.
 */
export async function startApplication(
  api,
  mappingId,
  configurables,
  { onStep = () => {}, pollInterval = 1000, wait = sleep } = {},
) {
  let finished = false;
  onStep("create");
  const started = api.post("containers", { mapping_id: mappingId, configurables });

  const watch = async () => {
    while (!finished) {
      await wait(pollInterval);
      if (finished) return;
      try {
        const { items } = await api.get("containers");
        if (!finished && items.some((container) => container.mapping_id === mappingId)) {
          onStep("wait");
          return;
        }
      } catch {
        // A failed look is no news; the POST's own answer is what counts.
      }
    }
  };
  watch();

  try {
    const container = await started;
    finished = true;
    onStep("ready");
    return container;
  } finally {
    finished = true;
  }
}
