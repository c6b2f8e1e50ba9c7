// Find a patient: search box (local cache, every keystroke), results table, Up/Down/Enter.

import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import type { Local } from "../bindings/Local";
import type { Patient } from "../bindings/Patient";
import { h, replace } from "../dom";
import { formatAge } from "../lib/dates";
import { SEX_LABEL, patientName } from "../lib/format";
import { describeSearch } from "../lib/search";
import type { Ctx, Screen } from "../ui/context";
import { syncBadges } from "./common";
import { showDate } from "../lib/locale";

const LIMIT = 50;
const DEBOUNCE_MS = 80;

export function patientsScreen(ctx: Ctx): Screen {
  const search = h("input", {
    type: "search",
    id: "patient-search",
    "data-testid": "patient-search",
    class: "search-input",
    placeholder: "Name, date of birth, MRN or phone",
    autocomplete: "off",
    spellcheck: "false",
    "aria-controls": "patient-results",
    "aria-describedby": "patient-search-hint",
    value: ctx.lastQuery,
  });
  const count = h("p", { class: "muted", id: "patient-count", "data-testid": "patient-count", "aria-live": "polite" });
  const understood = h("p", { class: "muted small search-understood", id: "patient-search-understood", "data-testid": "search-understood" });
  const tbody = h("tbody");
  const table = h(
    "table",
    { class: "data-table patient-table", id: "patient-results", "data-testid": "patient-results", "aria-label": "Patients" },
    h(
      "thead",
      null,
      h("tr", null, ...["Name", "Sex", "Age", "Date of birth", "MRN", "Phone"].map((c) => h("th", { scope: "col", class: c === "Age" ? "num" : null }, c))),
    ),
    tbody,
  );
  const error = h("div", { class: "banner banner-error", role: "alert", "data-testid": "patient-search-error" });
  error.hidden = true;
  // a first sync: what is not found may not have arrived yet; registering it again would
  // make a duplicate record
  // (no figures: the list is redrawn when patients arrive, not on every page of other records,
  // so they would lag the status bar's)
  const arriving = h(
    "div",
    { class: "banner banner-info", role: "status", "data-testid": "patients-still-arriving" },
    "Still receiving the clinic's records (see the status bar below). A patient you cannot find may not have arrived yet: wait before registering them. Search finds only the records received so far.",
  );
  arriving.hidden = true;
  const registerBtn = ctx.can("patient_write")
    ? h(
        "button",
        { type: "button", class: "btn btn-primary", id: "btn-register-patient", "data-testid": "btn-register-patient", onclick: () => ctx.open({ name: "register" }) },
        "Register patient",
        h("kbd", { "aria-hidden": "true" }, "Alt+N"),
      )
    : null;
  const el = h(
    "section",
    { class: "screen patients-screen", "aria-labelledby": "patients-title" },
    h("div", { class: "screen-head" }, h("h1", { id: "patients-title" }, "Patients"), registerBtn),
    h(
      "div",
      { class: "search-row" },
      h("label", { for: "patient-search", class: "search-label" }, "Search patients"),
      search,
      h("span", { id: "patient-search-hint", class: "muted small" }, "Press / or Ctrl+K to search · ↑ ↓ to choose · Enter to open"),
    ),
    understood,
    error,
    arriving,
    count,
    h("div", { class: "table-wrap" }, table),
  );

  let rows: Local<Patient>[] = [];
  let active = -1;
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const open = (p: Local<Patient>) => ctx.open({ name: "chart", patientId: p.record.id });

  const setActive = (i: number) => {
    active = i;
    const trs = tbody.querySelectorAll<HTMLTableRowElement>("tr[data-testid=patient-row]");
    trs.forEach((tr, j) => {
      tr.classList.toggle("active", j === i);
      tr.setAttribute("aria-selected", j === i ? "true" : "false");
    });
    const tr = trs[i];
    if (tr) {
      search.setAttribute("aria-activedescendant", tr.id);
      tr.scrollIntoView({ block: "nearest" });
    } else {
      search.removeAttribute("aria-activedescendant");
    }
  };

  const render = (query: string) => {
    const today = ctx.today();
    replace(
      tbody,
      rows.map((p, i) => {
        const r = p.record;
        return h(
          "tr",
          {
            id: `patient-row-${r.id}`,
            "data-testid": "patient-row",
            "data-patient-id": r.id,
            "data-pending": p.pending ? "true" : "false",
            class: `clickable ${p.pending ? "row-pending" : ""} ${p.rejected ? "row-rejected" : ""}`,
            "aria-selected": "false",
            onclick: () => open(p),
            onmousemove: () => {
              if (active !== i) setActive(i);
            },
          },
          h(
            "td",
            null,
            h("button", { type: "button", class: "link-btn", "data-testid": "patient-open", tabindex: -1, onclick: (e: Event) => { e.stopPropagation(); open(p); } }, patientName(r)),
            r.allergies.length > 0 ? h("span", { class: "badge badge-allergy", title: `Allergies: ${r.allergies.join(", ")}` }, "Allergies") : null,
            syncBadges(p),
          ),
          h("td", null, SEX_LABEL[r.sex]),
          h("td", { class: "num" }, formatAge(r.date_of_birth, today)),
          h("td", { class: "nowrap" }, showDate(r.date_of_birth)),
          h("td", { class: "mono", "data-testid": "patient-mrn" }, r.mrn),
          h("td", { class: "nowrap" }, r.phone ?? ""),
        );
      }),
    );
    if (rows.length === 0) {
      tbody.appendChild(
        h(
          "tr",
          { class: "empty-row" },
          h(
            "td",
            { colspan: 6 },
            query.trim() ? `No patients match “${query.trim()}”.` : "No patients in this clinic yet.",
            ctx.can("patient_write") ? " Register a new patient with Alt+N." : "",
          ),
        ),
      );
    }
    arriving.hidden = !ctx.catchingUp?.();
    count.textContent =
      rows.length === 0
        ? ""
        : rows.length >= LIMIT
          ? `Showing the first ${LIMIT} matches; type more to narrow.`
          : `${rows.length} ${rows.length === 1 ? "patient" : "patients"}`;
    setActive(rows.length > 0 && active >= 0 ? Math.min(active, rows.length - 1) : -1);
  };

  const run = async () => {
    const query = search.value;
    const my = ++seq;
    try {
      const [result, terms] = await Promise.all([api.searchPatients(query, LIMIT), api.interpretSearch(query)]);
      if (my !== seq) return;
      understood.textContent = describeSearch(terms);
      error.hidden = true;
      const activeId = rows[active]?.record.id;
      rows = result;
      active = activeId ? rows.findIndex((r) => r.record.id === activeId) : -1;
      render(query);
    } catch (e) {
      if (my !== seq) return;
      error.textContent = `Search failed: ${(e as CommandError).message}`;
      error.hidden = false;
    }
  };

  search.addEventListener("input", () => {
    ctx.lastQuery = search.value;
    active = -1;
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  });
  search.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (rows.length > 0) setActive(Math.min(active + 1, rows.length - 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      if (rows.length > 0) setActive(Math.max(active - 1, 0));
    } else if (e.key === "Enter") {
      e.preventDefault();
      const p = rows[active] ?? (rows.length === 1 ? rows[0] : undefined);
      if (p) open(p);
    } else if (e.key === "Escape" && search.value !== "") {
      e.preventDefault();
      e.stopPropagation();
      search.value = "";
      ctx.lastQuery = "";
      void run();
    }
  });

  void run();

  return {
    el,
    title: "Patients",
    focus: () => {
      search.focus();
      search.select();
    },
    refresh: (entities) => {
      if (entities.includes("patient")) void run();
    },
    destroy: () => clearTimeout(timer),
  };
}
