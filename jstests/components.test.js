import { flushPromises, mount } from "@vue/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import AppCard from "../frontend/src/components/AppCard.vue";
import AppIcon from "../frontend/src/components/AppIcon.vue";
import ConfirmDialog from "../frontend/src/components/ConfirmDialog.vue";
import ProgressSteps from "../frontend/src/components/ProgressSteps.vue";
import StartForm from "../frontend/src/components/StartForm.vue";
import StateBadge from "../frontend/src/components/StateBadge.vue";
import DashboardView from "../frontend/src/views/DashboardView.vue";
import { application, fakeApi, mountWith } from "./helpers.js";

const HOSTILE = "<img src=x onerror=alert(1)>";

afterEach(() => {
  document.body.innerHTML = "";
});

describe("StateBadge", () => {
  it("says exactly the state", () => {
    for (const state of ["stopped", "starting", "running", "stopping", "error"]) {
      const badge = mount(StateBadge, { props: { state } });
      expect(badge.get('[data-testid="state-badge"]').element.textContent).toBe(state);
    }
  });
});

describe("AppCard", () => {
  it("shows a hostile name and description as text, creating no element", () => {
    const card = mount(AppCard, {
      props: { app: application({ name: HOSTILE, description: `<script>x()</script>${HOSTILE}` }), state: "stopped" },
    });
    expect(card.get('[data-testid="app-name"]').text()).toBe(HOSTILE);
    expect(card.text()).toContain("<script>x()</script>");
    expect(card.find("img").exists()).toBe(false);
    expect(card.find("script").exists()).toBe(false);
    expect(card.get('[data-testid="app-card"]').attributes("data-mapping-id")).toBe("m1");
    expect(card.get("a").attributes("href")).toBe("#/apps/m1");
  });

  it("names the kind of application: web app, desktop or JupyterLab", () => {
    const chip = (type) =>
      mount(AppCard, { props: { app: application({ type }), state: "stopped" } }).get(".chip").text();
    expect(chip("webapp")).toBe("Web app");
    expect(chip("vncapp")).toBe("Desktop");
    expect(chip("jupyter")).toBe("JupyterLab");
    expect(chip("future-kind")).toBe("future-kind");
  });

  it("loads the icon from its URL in the API, never from elsewhere", () => {
    const url = "/user/alice/api/v1/applications/m1/icon";
    const good = mount(AppCard, { props: { app: application({ icon_url: url }), state: "stopped" } });
    expect(good.get("img").attributes("src")).toBe(url);
    for (const elsewhere of ["https://evil.example/x.png", "//evil.example/x.png", "data:image/png;base64,iVBORw0KGgo="]) {
      const bad = mount(AppIcon, { props: { src: elsewhere, name: "Zed" } });
      expect(bad.find("img").exists()).toBe(false);
      expect(bad.text()).toBe("Z");
    }
  });

  it("shows the letter tile when the icon fails to load, and tries a new URL", async () => {
    const icon = mount(AppIcon, { props: { src: "/user/alice/api/v1/applications/m1/icon", name: "paraView" } });
    await icon.get("img").trigger("error");
    expect(icon.find("img").exists()).toBe(false);
    expect(icon.text()).toBe("P");
    await icon.setProps({ src: "/user/alice/api/v1/applications/m2/icon" });
    expect(icon.get("img").attributes("src")).toBe("/user/alice/api/v1/applications/m2/icon");
  });
});

describe("ProgressSteps", () => {
  it("names the current step only", () => {
    const progress = mount(ProgressSteps, { props: { step: "wait" } });
    const text = progress.get('[data-testid="progress"]').text();
    expect(text).toContain("Waiting for the application to answer");
    expect(text).not.toContain("Ready");
    expect(text).not.toContain("Creating");
  });
});

describe("StartForm", () => {
  it("offers fit and common sizes, and the startup file only when offered", async () => {
    window.innerWidth = 1280;
    window.innerHeight = 720;
    const form = mount(StartForm, {
      props: { configurables: [{ name: "resolution", minimum: "640x480", maximum: "7680x4320" }] },
    });
    const values = form.findAll('[data-testid="resolution"] option').map((o) => o.element.value);
    expect(values[0]).toBe("fit");
    expect(values.slice(1).every((v) => /^\d+x\d+$/.test(v))).toBe(true);
    expect(form.find('[data-testid="startupdata"]').exists()).toBe(false);

    await form.get("form").trigger("submit");
    expect(form.emitted("start")[0]).toEqual([{ resolution: "1280x664" }]);

    await form.get('[data-testid="resolution"]').setValue("1024x768");
    await form.get("form").trigger("submit");
    expect(form.emitted("start")[1]).toEqual([{ resolution: "1024x768" }]);
  });

  it("sends the startup file when one is given", async () => {
    const form = mount(StartForm, { props: { configurables: [{ name: "startupdata" }] } });
    expect(form.find('[data-testid="resolution"]').exists()).toBe(false);
    await form.get("form").trigger("submit");
    expect(form.emitted("start")[0]).toEqual([{}]);
    await form.get('[data-testid="startupdata"]').setValue(" project/case1.vtk ");
    await form.get("form").trigger("submit");
    expect(form.emitted("start")[1]).toEqual([{ startupdata: "project/case1.vtk" }]);
  });
});

describe("ConfirmDialog", () => {
  it("focuses the safe answer, keeps Tab inside, closes on Escape, gives focus back", async () => {
    const opener = document.createElement("button");
    document.body.append(opener);
    opener.focus();
    const dialog = mount(ConfirmDialog, {
      props: { open: false, title: "Stop it?", message: "Sure?" },
      attachTo: document.body,
    });
    await dialog.setProps({ open: true });
    await flushPromises();
    const panel = dialog.get('[data-testid="confirm-dialog"]');
    expect(panel.attributes("role")).toBe("alertdialog");
    expect(panel.attributes("aria-modal")).toBe("true");
    const no = dialog.get('[data-testid="confirm-no"]').element;
    const yes = dialog.get('[data-testid="confirm-yes"]').element;
    expect(document.activeElement).toBe(no);

    yes.focus();
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Tab", bubbles: true }));
    expect(document.activeElement).toBe(no);
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Tab", shiftKey: true, bubbles: true }));
    expect(document.activeElement).toBe(yes);

    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(dialog.emitted("cancel")).toHaveLength(1);
    await dialog.setProps({ open: false });
    expect(document.activeElement).toBe(opener);
    dialog.unmount();
  });
});

describe("the dashboard", () => {
  it("lists the applications and filters them with the search box", async () => {
    const api = fakeApi({
      "GET applications": {
        items: [
          application({ mapping_id: "a", name: "ParaView", description: "Visualisation" }),
          application({ mapping_id: "b", name: "JupyterLab", description: "Notebooks" }),
          application({ mapping_id: "c", name: HOSTILE, description: null }),
        ],
      },
    });
    const { wrapper, store } = mountWith(DashboardView, { api });
    await store.refresh();
    await flushPromises();
    const names = () => wrapper.findAll('[data-testid="app-name"]').map((n) => n.text());
    expect(names()).toEqual(["ParaView", "JupyterLab", HOSTILE]);
    expect(wrapper.findAll('[data-testid="state-badge"]').map((b) => b.text())).toEqual([
      "stopped",
      "stopped",
      "stopped",
    ]);
    expect(wrapper.find('img[src="x"]').exists()).toBe(false);

    await wrapper.get('[data-testid="search"]').setValue("note");
    expect(names()).toEqual(["JupyterLab"]);
    await wrapper.get('[data-testid="search"]').setValue("nothing like it");
    expect(names()).toEqual([]);
    expect(wrapper.text()).toContain("No application matches");
  });
});
