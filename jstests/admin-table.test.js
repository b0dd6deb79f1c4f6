// The admin pages' table and its inline editor, mounted on their own.
import { mount } from "@vue/test-utils";
import { describe, expect, it } from "vitest";
import { h } from "vue";
import AdminTable from "../frontend/src/components/AdminTable.vue";
import EditRow from "../frontend/src/components/EditRow.vue";

const HOSTILE = "<img src=x onerror=alert(1)>";
const COLUMNS = [
  { key: "name", label: "Name" },
  { key: "count", label: "Count", class: "number" },
];
const pageOf = (items, extra = {}) => ({ items, total: items.length, offset: 0, limit: 50, loaded: true, ...extra });

function table(props = {}, slots = {}) {
  return mount(AdminTable, {
    props: {
      label: "Things",
      noun: "thing",
      columns: COLUMNS,
      page: pageOf([]),
      rowKey: "name",
      emptyTitle: "No things",
      ...props,
    },
    slots,
  });
}

describe("AdminTable", () => {
  it("shows each row's fields as text under the columns, with the count", () => {
    const wrapper = table({
      page: pageOf([{ name: HOSTILE, count: 3 }, { name: "b", count: 1 }]),
      rowAttrs: (row) => ({ "data-testid": "thing-row", "data-name": row.name }),
    });
    expect(wrapper.findAll("th").map((th) => th.text())).toEqual(["Name", "Count"]);
    const rows = wrapper.findAll('[data-testid="thing-row"]');
    expect(rows.map((row) => row.attributes("data-name"))).toEqual([HOSTILE, "b"]);
    expect(rows[0].findAll("td").map((td) => td.text())).toEqual([HOSTILE, "3"]);
    expect(rows[0].findAll("td")[1].classes()).toContain("number");
    expect(wrapper.find("img").exists()).toBe(false);
    expect(wrapper.get('[data-testid="list-count"]').text()).toBe("2 things");
    expect(wrapper.get("section").attributes("aria-label")).toBe("Things");
  });

  it("says it is loading, then shows the empty state with its text", async () => {
    const wrapper = table({ page: { ...pageOf([]), loaded: false } }, { empty: "Add one above." });
    expect(wrapper.text()).toContain("Loading…");
    expect(wrapper.get('[data-testid="list-count"]').text()).toBe("");
    await wrapper.setProps({ page: pageOf([]) });
    expect(wrapper.text()).toContain("No things");
    expect(wrapper.text()).toContain("Add one above.");
    expect(wrapper.find("table").exists()).toBe(false);
  });

  it("fills a cell from its slot", () => {
    const wrapper = table(
      { page: pageOf([{ name: "a", count: 1 }]) },
      { "cell-name": ({ row }) => h("strong", { class: "who" }, row.name.toUpperCase()) },
    );
    expect(wrapper.get("td .who").text()).toBe("A");
  });

  it("puts the row actions last, as buttons or links, each called with its row", async () => {
    const clicked = [];
    const wrapper = table({
      page: pageOf([{ name: "a", count: 1 }]),
      actions: [
        { label: "Open", href: (row) => `#/open/${row.name}` },
        {
          label: "Remove",
          icon: "trash",
          danger: true,
          ariaLabel: (row) => `Remove ${row.name}`,
          onClick: (row) => clicked.push(row.name),
        },
        { label: "Stop", disabled: () => true, onClick: () => clicked.push("stop") },
      ],
    });
    expect(wrapper.findAll("th").at(-1).text()).toBe("Actions");
    const cell = wrapper.findAll("td").at(-1);
    expect(cell.classes()).toContain("actions");
    expect(cell.get("a").attributes("href")).toBe("#/open/a");
    const [remove, stop] = cell.findAll("button");
    expect(remove.attributes("aria-label")).toBe("Remove a");
    expect(remove.classes()).toContain("button--danger-quiet");
    expect(stop.attributes("disabled")).toBeDefined();
    await remove.trigger("click");
    expect(clicked).toEqual(["a"]);
  });

  it("opens the edit slot under the row being edited, with an Edit button that toggles it", async () => {
    const wrapper = table(
      { page: pageOf([{ name: "a", count: 1 }, { name: "b", count: 2 }]) },
      { edit: ({ row, colspan }) => h("tr", { class: "editor" }, h("td", { colspan }, `editing ${row.name}`)) },
    );
    const edits = wrapper.findAll("button").filter((button) => button.text() === "Edit");
    expect(edits).toHaveLength(2);
    expect(edits[1].attributes("aria-expanded")).toBe("false");
    await edits[1].trigger("click");
    expect(wrapper.emitted("edit")).toEqual([[{ name: "b", count: 2 }]]);
    await wrapper.setProps({ editing: "b" });
    const rows = wrapper.findAll("tbody tr");
    expect(rows.map((row) => row.text().includes("editing b"))).toEqual([false, false, true]);
    expect(wrapper.get(".editor td").attributes("colspan")).toBe("3");
    expect(edits[1].attributes("aria-expanded")).toBe("true");
    await edits[1].trigger("click");
    expect(wrapper.emitted("edit")[1]).toEqual([null]);
  });

  it("pages with the pager only when there is more than one page", async () => {
    const wrapper = table({ page: pageOf([{ name: "a", count: 1 }], { total: 50 }) });
    expect(wrapper.find("nav.pager").exists()).toBe(false);
    await wrapper.setProps({ page: pageOf([{ name: "a", count: 1 }], { total: 120, offset: 50 }) });
    expect(wrapper.get("nav.pager").text()).toContain("51–100 of 120 things");
    expect(wrapper.get('[data-testid="list-count"]').text()).toBe("120 things");
    const [previous, next] = wrapper.findAll("nav.pager button");
    await next.trigger("click");
    await previous.trigger("click");
    expect(wrapper.emitted("page")).toEqual([[100], [0]]);
  });

  it("names many of a row as it is told", () => {
    const wrapper = table({ noun: "entry", nouns: "entries", page: pageOf([{ name: "a" }, { name: "b" }]) });
    expect(wrapper.get('[data-testid="list-count"]').text()).toBe("2 entries");
  });
});

describe("EditRow", () => {
  it("spans the table, and saves or cancels", async () => {
    const row = mount(EditRow, {
      props: { colspan: 4, saveLabel: "Save policy", saveTestid: "save-grant" },
      slots: { default: '<input data-testid="field" />' },
      attachTo: document.createElement("tbody"),
    });
    expect(row.get("td").attributes("colspan")).toBe("4");
    expect(row.find('[data-testid="field"]').exists()).toBe(true);
    expect(row.get('[data-testid="save-grant"]').text()).toBe("Save policy");
    await row.get("form").trigger("submit");
    await row.findAll("button").find((button) => button.text() === "Cancel").trigger("click");
    expect(Object.keys(row.emitted())).toEqual(expect.arrayContaining(["save", "cancel"]));
    await row.setProps({ busy: true });
    expect(row.get('[data-testid="save-grant"]').attributes("disabled")).toBeDefined();
  });
});
