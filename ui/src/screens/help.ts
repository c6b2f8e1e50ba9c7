// The "?" dialog: keyboard shortcuts.

import { h } from "../dom";
import { openModal } from "../ui/modal";

export const SHORTCUTS: ReadonlyArray<[string, string]> = [
  ["/  or  Ctrl+K", "Search patients"],
  ["Alt+N", "Register a new patient"],
  ["Alt+V", "Record vitals (in a patient's chart)"],
  ["Alt+S", "Schedule (today)"],
  ["Alt+R", "Review: conflicts, refused changes, possible duplicates"],
  ["Alt+E", "Edit the patient's details (in a patient's chart)"],
  ["↑ ↓, Enter", "Choose and open a search result"],
  ["Ctrl+Enter", "Save the open form"],
  ["Enter (in vitals)", "Next measurement"],
  ["Esc", "Close the form or dialog (what you typed is kept until you discard it)"],
  ["Alt+T", "My patients today (nurses and physicians)"],
  ["Alt+W", "Waiting room: the clinic's day on one board"],
  ["Enter / R / 1–9 / 0 (waiting room)", "Next step for the visit / choose a room / that room / back to the waiting room"],
  ["Alt+← / Alt+→", "Previous / next day (or week) in the schedule"],
  ["D / W", "Schedule: day view / week view"],
  ["G", "Schedule: go to the grid (arrows move between time slots)"],
  ["B  or  Enter (on a time slot)", "Schedule: book at the chosen slot"],
  ["F", "Schedule: find a free slot"],
  ["Alt+↑ / Alt+↓ (on a booking)", "Move the booking 15 minutes earlier / later"],
  ["Alt+← / Alt+→ (on a booking)", "Move the booking a day (week view) or to the next provider (whole clinic's day)"],
  ["M (on a booking)", "Move… to a date, time and provider"],
  ["Enter, Space or a click (on a booking)", "Booking actions: open chart, move, check in, no-show, cancel"],
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
