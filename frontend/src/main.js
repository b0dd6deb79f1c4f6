// The page's entry: read what the service wrote into the page, make the API client,
// the router and the store of the user's applications, and mount the App.
import { createApp, reactive } from "vue";
import { createApi } from "./api.js";
import App from "./App.vue";
import { createApplicationsStore } from "./applications.js";
import { readConfig } from "./config.js";
import { eventsUrl } from "./events.js";
import { createRouter } from "./router.js";
import "./styles.css";

const config = readConfig();
// Set when the service asks for a more recent login before a change.
const session = reactive({ loginAgain: "" });
const api = createApi({
  baseUrl: config.api_url,
  xsrfToken: config.xsrf_token,
  onLoginAgain: (url) => (session.loginAgain = url),
});

createApp(App, {
  config,
  api,
  session,
  applications: createApplicationsStore(api, { eventsUrl: eventsUrl(config) }),
  router: createRouter(window),
}).mount("#app");
