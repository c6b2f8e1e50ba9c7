// Administration → Audit log: who did what, to whose record, from where, when. Filters by
// patient (picked with the local patient search), staff member, time span in clinic time,
// action and outcome; newest first with "load more"; the current filter saved as CSV to a
// file. Online only (the log lives on the server; reading it is itself audited).

import { api } from "../api";
import type { AuditEvent } from "../bindings/AuditEvent";
import type { AuditFilter } from "../bindings/AuditFilter";
import type { CommandError } from "../bindings/CommandError";
import type { Local } from "../bindings/Local";
import type { Patient } from "../bindings/Patient";
import type { UserInfo } from "../bindings/UserInfo";
import { h, replace } from "../dom";
import { actionChoices, actionLabel, buildAuditFilter, outcomeChoices, outcomeLabel, type AuditQuery } from "../lib/audit";
import { patientName } from "../lib/format";
import { formatDateTime, showDate, showTime } from "../lib/locale";
import type { Ctx, Screen } from "../ui/context";
import { banner, dateInput, field, select, setBanner, showFieldErrors, textInput, timeInput } from "../ui/forms";

const PAGE = 100;

/** A patient chosen for the filter. */
interface Picked {
  id: string;
  label: string;
}

/** The local patient search as a small combobox: type, ↑ ↓, Enter picks. */
function patientPicker(onPick: (p: Picked | null) => void, initial: Picked | null): { wrap: HTMLElement; control: HTMLInputElement; clear(): void; focus(): void } {
  const input = textInput({
    id: "audit-patient",
    "data-testid": "audit-patient",
    role: "combobox",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": "audit-patient-list",
    placeholder: "Name, date of birth or MRN",
  });
  const list = h("ul", { class: "picker-list", id: "audit-patient-list", role: "listbox", "data-testid": "audit-patient-list", "aria-label": "Matching patients" });
  list.hidden = true;
  const chip = h("div", { class: "picker-chip", "data-testid": "audit-patient-chosen" });
  chip.hidden = true;
  let results: Local<Patient>[] = [];
  let active = -1;
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const show = (open: boolean) => {
    list.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
  };
  const setActive = (i: number) => {
    active = i;
    [...list.children].forEach((li, j) => li.setAttribute("aria-selected", j === i ? "true" : "false"));
    const li = list.children[i] as HTMLElement | undefined;
    if (li) input.setAttribute("aria-activedescendant", li.id);
    else input.removeAttribute("aria-activedescendant");
  };
  const pick = (p: Picked | null) => {
    show(false);
    if (p) {
      replace(
        chip,
        h("span", null, "Patient: ", h("strong", null, p.label)),
        h("button", { type: "button", class: "btn btn-small", "data-testid": "audit-patient-clear", "aria-label": `Remove the patient filter (${p.label})`, onclick: () => { pick(null); input.focus(); } }, "Remove"),
      );
      chip.hidden = false;
      input.value = "";
      input.hidden = true;
    } else {
      chip.hidden = true;
      input.hidden = false;
    }
    onPick(p);
  };
  const run = async () => {
    const q = input.value.trim();
    const my = ++seq;
    if (!q) {
      results = [];
      show(false);
      return;
    }
    try {
      const found = await api.searchPatients(q, 8);
      if (my !== seq) return;
      results = found;
      replace(
        list,
        found.map((p) =>
          h(
            "li",
            {
              id: `audit-patient-opt-${p.record.id}`,
              role: "option",
              class: "picker-option",
              "data-testid": "audit-patient-option",
              "aria-selected": "false",
              onmousedown: (e: Event) => {
                e.preventDefault();
                pick({ id: p.record.id, label: `${patientName(p.record)} (MRN ${p.record.mrn})` });
              },
            },
            h("strong", null, patientName(p.record)),
            h("span", { class: "muted small" }, ` · DOB ${showDate(p.record.date_of_birth)} · MRN ${p.record.mrn}`),
          ),
        ),
      );
      if (found.length === 0) list.appendChild(h("li", { class: "picker-empty muted" }, "No patient on this workstation matches."));
      show(true);
      setActive(found.length > 0 ? 0 : -1);
    } catch {
      show(false);
    }
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => void run(), 80);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && results.length > 0) {
      e.preventDefault();
      setActive(Math.min(active + 1, results.length - 1));
    } else if (e.key === "ArrowUp" && results.length > 0) {
      e.preventDefault();
      setActive(Math.max(active - 1, 0));
    } else if (e.key === "Enter" && !list.hidden) {
      e.preventDefault();
      const p = results[active];
      if (p) pick({ id: p.record.id, label: `${patientName(p.record)} (MRN ${p.record.mrn})` });
    } else if (e.key === "Escape" && !list.hidden) {
      e.preventDefault();
      e.stopPropagation();
      show(false);
    }
  });
  input.addEventListener("blur", () => setTimeout(() => show(false), 150));
  const wrap = h(
    "div",
    { class: "field picker", "data-field": "patient_id" },
    h("label", { for: "audit-patient" }, "Patient"),
    h("div", { class: "picker-box" }, input, chip, list),
    h("div", { id: "audit-patient-error", class: "field-error", "data-testid": "audit-patient-error", "aria-live": "polite" }),
  );
  if (initial) pick(initial);
  return { wrap, control: input, clear: () => pick(null), focus: () => (input.hidden ? chip.querySelector("button") ?? input : input).focus() };
}

export function auditScreen(ctx: Ctx, initialPatient: Picked | null = null): Screen {
  const heading = h("h1", { id: "audit-title", tabindex: -1 }, "Audit log");
  let patient: Picked | null = initialPatient;
  const picker = patientPicker((p) => (patient = p), initialPatient);
  const user = field(select([["", "Anyone"]]), { id: "audit-user", name: "user_id", label: "Staff member" });
  const fromDate = field(dateInput(), { id: "audit-from", name: "from", label: "From (date)" });
  const fromTime = field(timeInput("", { placeholder: showTime("00:00") }), { id: "audit-from-time", name: "from_time", label: "Time" });
  const toDate = field(dateInput(), { id: "audit-to", name: "to", label: "To (date)" });
  const toTime = field(timeInput("", { placeholder: "end of day" }), { id: "audit-to-time", name: "to_time", label: "Time" });
  const action = field(select(actionChoices()), { id: "audit-action", name: "action", label: "Action" });
  const outcome = field(select(outcomeChoices()), { id: "audit-outcome", name: "outcome", label: "Outcome" });
  const fields = [user, fromDate, fromTime, toDate, toTime, action, outcome];
  const filterErr = banner("audit-filter-error");
  const apply = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "audit-apply" }, "Show entries");
  const clear = h("button", { type: "button", class: "btn", "data-testid": "audit-clear" }, "Clear filters");
  const form = h(
    "form",
    { class: "audit-filters panel", novalidate: true, "data-testid": "audit-filters", "aria-label": "Filters" },
    h("div", { class: "audit-filter-grid" }, picker.wrap, user.wrap, h("div", { class: "when" }, fromDate.wrap, fromTime.wrap), h("div", { class: "when" }, toDate.wrap, toTime.wrap), action.wrap, outcome.wrap),
    filterErr,
    h("div", { class: "form-actions" }, apply, clear, h("span", { class: "muted small" }, `Dates and times are clinic time (${ctx.tz}); "To" includes its day, or its minute when a time is given.`)),
  );

  const tbody = h("tbody");
  const summary = h("p", { class: "muted", "data-testid": "audit-summary", "aria-live": "polite" });
  const err = banner("audit-error");
  const more = h("button", { type: "button", class: "btn", "data-testid": "audit-more" }, "Load older entries");
  more.hidden = true;

  const exportBtn = h("button", { type: "button", class: "btn", "data-testid": "audit-export" }, "Export these entries as CSV…");
  const exportErr = banner("audit-export-error");
  const exportDone = h("p", { class: "banner banner-info", "data-testid": "audit-export-done", role: "status" });
  exportDone.hidden = true;
  const exportPanel = h(
    "section",
    { class: "panel audit-export", "aria-labelledby": "audit-export-title" },
    h("h2", { id: "audit-export-title" }, "Export"),
    h("p", { class: "muted small" }, "Every entry matching the filter last applied, not only the page shown, as a spreadsheet file. You choose where to save it."),
    h("div", { class: "export-row" }, exportBtn),
    exportErr,
    exportDone,
  );

  const el = h(
    "section",
    { class: "screen audit-screen", "data-testid": "audit-screen", "aria-labelledby": "audit-title" },
    h("div", { class: "screen-head" }, heading),
    form,
    err,
    summary,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data-table audit-table", "data-testid": "audit-table", "aria-label": "Audit entries, newest first" },
        h("thead", null, h("tr", null, ...["Time", "Staff member", "Workstation", "Address", "Action", "Patient", "Outcome"].map((c) => h("th", { scope: "col" }, c)))),
        tbody,
      ),
    ),
    h("div", { class: "form-actions" }, more),
    exportPanel,
  );

  let shown: AuditEvent[] = [];
  let current: AuditQuery = {};
  let nextBefore: number | null = null;
  let seq = 0;
  let usersById = new Map<string, UserInfo>();

  const row = (e: AuditEvent) => {
    const who = e.user_id ? (usersById.get(e.user_id)?.full_name ?? e.username ?? "") : (e.username ?? "");
    const ok = e.outcome === "success";
    return h(
      "tr",
      { "data-testid": "audit-row", "data-action": e.action, "data-outcome": e.outcome, "data-user-id": e.user_id ?? "", "data-patient-id": e.patient_id ?? "" },
      h("td", { class: "nowrap num" }, formatDateTime(e.at, ctx.tz)),
      h("td", null, who, e.username && who !== e.username ? h("div", { class: "muted small mono" }, e.username) : null),
      h("td", { class: "mono small", title: e.device_id ?? "" }, e.device_id ? e.device_id.slice(0, 8) : "—"),
      h("td", { class: "mono small" }, e.ip ?? "—"),
      h("td", { "data-testid": "audit-action", title: e.action }, actionLabel(e.action), e.detail ? h("div", { class: "muted small" }, e.detail) : null),
      h("td", { "data-testid": "audit-patient" }, e.patient_name ?? (e.patient_id ? h("span", { class: "mono small" }, e.patient_id.slice(0, 8)) : "")),
      h("td", null, h("span", { class: `outcome ${ok ? "outcome-ok" : "outcome-bad"}` }, outcomeLabel(e.outcome))),
    );
  };

  const render = () => {
    replace(tbody, shown.map(row));
    if (shown.length === 0) tbody.appendChild(h("tr", { class: "empty-row" }, h("td", { colspan: 7 }, "No entries match these filters.")));
    more.hidden = nextBefore === null;
    summary.textContent = shown.length === 0 ? "" : `${shown.length} ${shown.length === 1 ? "entry" : "entries"}, newest first${nextBefore !== null ? "; older ones with “Load older entries”" : ""}.`;
  };

  const fetchPage = async (append: boolean) => {
    const my = ++seq;
    const filter: AuditFilter = { ...current, limit: PAGE, ...(append && nextBefore !== null ? { before: nextBefore } : {}) };
    el.setAttribute("aria-busy", "true");
    try {
      const page = await api.auditLog(filter);
      if (my !== seq) return;
      shown = append ? [...shown, ...page.items] : page.items;
      nextBefore = page.next_before;
      setBanner(err, null);
      render();
    } catch (raw) {
      if (my !== seq) return;
      const ce = raw as CommandError;
      if (ce.fields) {
        // the server names the filter it did not take
        const f = showFieldErrors(fields, ce.fields, filterErr);
        f?.control.focus();
      } else {
        setBanner(err, `Could not read the audit log: ${ce.message}`);
      }
    } finally {
      if (my === seq) el.removeAttribute("aria-busy");
    }
  };

  const readForm = (): AuditQuery | null => {
    const built = buildAuditFilter(
      {
        patientId: patient?.id ?? null,
        userId: user.control.value,
        fromDate: fromDate.control.value,
        fromTime: fromTime.control.value,
        toDate: toDate.control.value,
        toTime: toTime.control.value,
        action: action.control.value,
        outcome: outcome.control.value,
      },
      ctx.tz,
    );
    if (!built.ok) {
      const f = showFieldErrors(fields, built.errors, filterErr);
      f?.control.focus();
      return null;
    }
    showFieldErrors(fields, {}, filterErr);
    return built.query;
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = readForm();
    if (!q) return;
    current = q;
    exportDone.hidden = true;
    void fetchPage(false);
  });
  clear.addEventListener("click", () => {
    for (const f of fields) f.control.value = "";
    picker.clear();
    showFieldErrors(fields, {}, filterErr);
    current = {};
    void fetchPage(false);
  });
  more.addEventListener("click", () => void fetchPage(true));

  exportBtn.addEventListener("click", async () => {
    setBanner(exportErr, null);
    exportDone.hidden = true;
    // the entries shown are what is exported: the filter last applied
    exportBtn.disabled = true;
    try {
      const path = await api.chooseExportPath();
      if (path === null) return;
      const done = await api.exportAudit({ ...current }, path);
      exportDone.textContent = `Saved ${done.entries} ${done.entries === 1 ? "entry" : "entries"} to ${done.path}`;
      exportDone.hidden = false;
    } catch (raw) {
      const ce = raw as CommandError;
      // the file chosen is the only field: say what is wrong with it
      const why = ce.fields?.path?.join(", ");
      setBanner(exportErr, why ? `Not exported: the file chosen ${why}. Choose another place.` : `Not exported: ${ce.message}`);
    } finally {
      exportBtn.disabled = false;
    }
  });

  const loadUsers = async () => {
    try {
      const users = await api.listUsers();
      usersById = new Map(users.map((u) => [u.id, u]));
      const chosen = user.control.value;
      replace(
        user.control,
        h("option", { value: "" }, "Anyone"),
        users.map((u) => h("option", { value: u.id }, `${u.full_name} (${u.username})${u.active ? "" : " – deactivated"}`)),
      );
      user.control.value = chosen;
      render();
    } catch {
      // the list still works without names; the server gives usernames
    }
  };

  current = initialPatient ? { patient_id: initialPatient.id } : {};
  void loadUsers();
  void fetchPage(false);

  return {
    el,
    title: "Audit log",
    focus: () => heading.focus(),
  };
}
