// The "?" dialog: keyboard shortcuts.

import { h } from "../dom";
import { openModal } from "../ui/modal";

export const SHORTCUTS: ReadonlyArray<[string, string]> = [
  ["/  or  Ctrl+K", "Search patients"],
  ["Alt+N", "Register a new patient"],
  ["Alt+V", "Record vitals (in a patient's chart)"],
  ["Alt+S", "Today's schedule"],
  ["Alt+R", "Review: conflicts, refused changes, possible duplicates"],
  ["Alt+E", "Edit the patient's details (in a patient's chart)"],
  ["↑ ↓, Enter", "Choose and open a search result"],
  ["Ctrl+Enter", "Save the open form"],
  ["Enter (in vitals)", "Next measurement"],
  ["Esc", "Close the form or dialog (what you typed is kept until you discard it)"],
  ["Alt+← / Alt+→", "Previous / next day in the schedule"],
  ["Ctrl+L", "Lock the screen now (your password unlocks it)"],
  ["Ctrl+,", "Settings: theme, units, server address, idle lock (also on the sign-in page)"],
  ["Tab / Shift+Tab", "Next / previous control; the first Tab offers “Skip to content”"],
  ["?", "This help"],
];

export function openHelp(): void {
  const close = h("button", { type: "button", class: "btn", "data-testid": "help-close" }, "Close");
  const m = openModal({
    title: "Keyboard shortcuts",
    testid: "help-dialog",
    wide: true,
    content: [
      h(
        "table",
        { class: "shortcut-table" },
        h("tbody", null, SHORTCUTS.map(([k, what]) => h("tr", null, h("th", { scope: "row" }, h("kbd", null, k)), h("td", null, what)))),
      ),
      h("div", { class: "form-actions" }, close),
    ],
  });
  close.addEventListener("click", () => m.close());
}
