// A patient's chart: header with allergies, demographics, appointments, trend charts of the
// vital signs (screens/trends.ts) and the vital-signs history with abnormal values marked. Abnormal markers and NEWS2 come only from each record's `flags`
// and `news2` (the server's or the core's verdict, which depends on the patient's age at the
// time); the chart never computes a flag or a score itself.

import { api } from "../api";
import type { AppointmentRow } from "../bindings/AppointmentRow";
import type { CommandError } from "../bindings/CommandError";
import type { Local } from "../bindings/Local";
import type { PatientChart } from "../bindings/PatientChart";
import type { VitalSigns } from "../bindings/VitalSigns";
import { h, replace } from "../dom";
import { addressLines, CONSCIOUSNESS_LABEL, identifierText, KIN_LABEL, KIND_LABEL, patientName, STATUS_LABEL } from "../lib/format";
import { utcToZoned } from "../lib/tz";
import { formatDateTime, formatTime, showDate } from "../lib/locale";
import { formatInUnit, loadUnitPrefs, unitLabel, type UnitPrefs } from "../lib/units";
import { RULES } from "../bindings/rules";
import { bmi, flagOf, isWithdrawn, mayCorrectVitals } from "../lib/vitals";
import type { Ctx, Screen } from "../ui/context";
import { flaggedCell, news2Badge, patientBanner, syncBadges } from "./common";
import { trendPanel } from "./trends";
import { languageName } from "../lib/languages";

/** What the vitals table does with a set the person may correct. */
interface Corrections {
  /** Marks the set entered in error with `reason`; resolves when taken (a refusal rejects). */
  withdraw(v: VitalSigns, reason: string): Promise<void>;
  /** Opens the vitals form to amend the set. */
  amend(v: VitalSigns): void;
}

/** "Entered in error by Nina Nurse on 2026-12-06 17:52: wrong patient", for the history. */
function correctionWords(ctx: Ctx, v: VitalSigns, staffName: (id: string) => string): string {
  const c = v.correction;
  const what = isWithdrawn(v) ? "Entered in error" : "Amended";
  return c ? `${what} by ${staffName(c.by)} on ${formatDateTime(c.at, ctx.tz)}: ${c.reason}` : what;
}

/**
 * The row under a set where its correction is asked for: the reason (required), then either
 * "Mark entered in error" or "Amend values…" (the vitals form, filled with the set).
 */
function correctionRow(ctx: Ctx, v: VitalSigns, columns: number, corrections: Corrections, close: () => void): HTMLElement {
  const reason = h("input", {
    type: "text",
    id: `correct-reason-${v.id}`,
    class: "correct-reason",
    "data-testid": "correct-reason",
    maxlength: RULES.correction_reason_max,
    placeholder: "e.g. wrong patient, wrong device",
    "aria-describedby": `correct-error-${v.id}`,
  });
  const error = h("span", { class: "field-error", id: `correct-error-${v.id}`, "data-testid": "correct-error", role: "alert" });
  reason.addEventListener("input", () => {
    error.textContent = "";
    reason.removeAttribute("aria-invalid");
  });
  const withdraw = h(
    "button",
    {
      // never pressed by Enter in the reason: withdrawing a set is done on purpose
      type: "button",
      class: "btn btn-danger",
      "data-testid": "correct-withdraw",
      onclick: (e: Event) => {
        e.preventDefault();
        const why = reason.value.trim();
        if (!why) {
          error.textContent = "Say why the set is entered in error.";
          reason.setAttribute("aria-invalid", "true");
          reason.focus();
          return;
        }
        withdraw.disabled = true;
        corrections.withdraw(v, why).catch((err: CommandError) => {
          withdraw.disabled = false;
          error.textContent = err.message;
        });
      },
    },
    "Mark entered in error",
  );
  const row = h(
    "tr",
    { class: "correct-row", "data-testid": "correct-row" },
    h(
      "td",
      { colspan: columns },
      h(
        "form",
        { class: "correct-form", novalidate: true, onsubmit: (e: Event) => e.preventDefault(), onkeydown: (e: Event) => {
            if ((e as KeyboardEvent).key !== "Escape") return;
            e.stopPropagation();
            close();
          },
        },
        h("label", { for: `correct-reason-${v.id}` }, `Correct the set of ${formatDateTime(v.measured_at, ctx.tz)}. Reason`),
        reason,
        withdraw,
        h("button", { type: "button", class: "btn", "data-testid": "correct-amend", onclick: () => corrections.amend(v) }, "Amend values…"),
        h("button", { type: "button", class: "btn", onclick: close }, "Cancel"),
        error,
        h("p", { class: "small muted" }, "Entered in error: the set stays in the history, struck through, and is removed from flags, trend charts and printed summaries. Amend: its values are corrected and the earlier ones kept."),
      ),
    ),
  );
  queueMicrotask(() => reason.focus());
  return row;
}

function vitalsTable(ctx: Ctx, vitals: Local<VitalSigns>[], staffName: (id: string) => string, units: UnitPrefs, corrections: Corrections | null): HTMLElement {
  const head: [string, string][] = [
    ["Date / time", ""],
    ["BP", "mmHg"],
    ["HR", "/min"],
    ["RR", "/min"],
    ["Temp", unitLabel(units.temperature)],
    ["SpO2", "%"],
    ["O2", ""],
    ["ACVPU", ""],
    ["Weight", unitLabel(units.weight)],
    ["Height", unitLabel(units.height)],
    ["BMI", "kg/m²"],
    ["Pain", "0–10"],
    ["NEWS2", ""],
    ["Recorded by", ""],
    ["", ""],
  ];
  const body = vitals.flatMap((l) => {
    const v = l.record;
    const withdrawn = isWithdrawn(v);
    // a set entered in error is out of the flags: its values are shown plain, struck through
    const f = (field: string) => (withdrawn ? null : flagOf(v.flags, field));
    const num = (x: number | undefined, field: string, fmt: (n: number) => string = String) =>
      x === undefined || x === null ? h("span", { class: "muted" }, "") : flaggedCell(fmt(x), f(field), field);
    // The number only; its marker comes from the record's `bmi:low` / `bmi:high` flag.
    const b = bmi(v);
    const tr = h(
      "tr",
      {
        "data-testid": "vitals-row",
        "data-vitals-id": v.id,
        "data-pending": l.pending ? "true" : "false",
        "data-status": v.status,
        class: `${l.pending ? "row-pending" : ""} ${l.rejected ? "row-rejected" : ""} ${withdrawn ? "row-withdrawn" : ""}`,
      },
      h(
        "td",
        { class: "nowrap" },
        formatDateTime(v.measured_at, ctx.tz),
        l.pending || l.rejected || l.held || v.entered_offline || v.status !== "final"
          ? h(
              "div",
              { class: "cell-badges" },
              v.status !== "final"
                ? h("span", { class: `badge badge-${v.status}`, "data-testid": "vitals-status", title: correctionWords(ctx, v, staffName) }, withdrawn ? "entered in error" : "amended")
                : null,
              v.entered_offline && !l.pending ? h("span", { class: "badge", title: "Entered while offline" }, "entered offline") : null,
              ...syncBadges(l),
            )
          : null,
      ),
      h(
        "td",
        { class: "nowrap num" },
        v.systolic_mmhg != null ? [num(v.systolic_mmhg, "systolic_mmhg"), " / ", num(v.diastolic_mmhg, "diastolic_mmhg")] : "",
      ),
      h("td", { class: "num" }, num(v.heart_rate_bpm, "heart_rate_bpm")),
      h("td", { class: "num" }, num(v.respiratory_rate_bpm, "respiratory_rate_bpm")),
      h("td", { class: "num" }, num(v.temperature_c, "temperature_c", (x) => formatInUnit(x, units.temperature))),
      h("td", { class: "num" }, num(v.spo2_pct, "spo2_pct")),
      h("td", null, v.on_oxygen === undefined || v.on_oxygen === null ? "" : v.on_oxygen ? h("span", { class: "o2-on" }, "O2") : "Air"),
      h("td", null, v.consciousness ? flaggedCell((CONSCIOUSNESS_LABEL[v.consciousness] ?? "").slice(0, 1), f("consciousness"), "consciousness") : ""),
      h("td", { class: "num" }, num(v.weight_kg, "weight_kg", (x) => formatInUnit(x, units.weight))),
      h("td", { class: "num" }, num(v.height_cm, "height_cm", (x) => formatInUnit(x, units.height))),
      h("td", { class: "num" }, b === null ? "" : flaggedCell(b.toFixed(1), f("bmi"), "bmi")),
      h("td", { class: "num" }, num(v.pain_score, "pain_score")),
      h("td", null, withdrawn ? h("span", { class: "muted" }, "—") : news2Badge(v)),
      h("td", { class: "by" }, staffName(v.recorded_by)),
      h(
        "td",
        { class: "row-actions" },
        corrections && !withdrawn && !l.rejected && !l.held && mayCorrectVitals(ctx.user, v.recorded_by, ctx.can("vital_signs_write"))
          ? h(
              "button",
              {
                type: "button",
                class: "link-btn",
                "data-testid": "vitals-correct",
                "aria-expanded": "false",
                "aria-label": `Correct the set of ${formatDateTime(v.measured_at, ctx.tz)}`,
                onclick: (e: Event) => {
                  const btn = e.currentTarget as HTMLButtonElement;
                  const open = tr.nextElementSibling?.classList.contains("correct-row") ? tr.nextElementSibling : null;
                  if (open) {
                    open.remove();
                    btn.setAttribute("aria-expanded", "false");
                    return;
                  }
                  btn.setAttribute("aria-expanded", "true");
                  const row = correctionRow(ctx, v, head.length, corrections, () => {
                    row.remove();
                    btn.setAttribute("aria-expanded", "false");
                    btn.focus();
                  });
                  tr.after(row);
                },
              },
              "Correct",
            )
          : null,
      ),
    );
    const rows = [tr];
    if (v.status !== "final")
      rows.push(h("tr", { class: `correction-row${withdrawn ? " withdrawn" : ""}`, "data-testid": "vitals-correction" }, h("td", { colspan: head.length }, correctionWords(ctx, v, staffName))));
    if (v.notes) rows.push(h("tr", { class: "notes-row" }, h("td", { colspan: head.length }, h("span", { class: "muted" }, "Note: "), v.notes)));
    return rows;
  });
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data-table vitals-table", id: "vitals-history", "data-testid": "vitals-history", "aria-label": "Vital signs, newest first" },
      h("thead", null, h("tr", null, ...head.map(([c, u]) => h("th", { scope: "col" }, c, u ? h("span", { class: "th-unit" }, u) : null)))),
      h("tbody", null, body.length > 0 ? body : h("tr", { class: "empty-row" }, h("td", { colspan: head.length }, "No vital signs recorded yet."))),
    ),
  );
}

function legend(): HTMLElement {
  return h(
    "p",
    { class: "legend", "data-testid": "flags-legend" },
    h("span", { class: "val flag flag-high" }, h("span", { class: "flag-arrow", "aria-hidden": "true" }, "▲"), "High"),
    " above the normal range · ",
    h("span", { class: "val flag flag-low" }, h("span", { class: "flag-arrow", "aria-hidden": "true" }, "▼"), "Low"),
    " below it · NEWS2: ",
    h("span", { class: "news2 news2-low" }, "Low 0–4"),
    " ",
    h("span", { class: "news2 news2-low_medium" }, "Low-medium: one parameter scores 3"),
    " ",
    h("span", { class: "news2 news2-medium" }, "Medium 5–6"),
    " ",
    h("span", { class: "news2 news2-high" }, "High 7+"),
  );
}

export function appointmentsList(ctx: Ctx, rows: AppointmentRow[], onOpenDay: (date: string) => void): HTMLElement {
  if (rows.length === 0) return h("p", { class: "muted", "data-testid": "chart-appointments" }, "No appointments.");
  return h(
    "ul",
    { class: "appt-list", id: "chart-appointments", "data-testid": "chart-appointments", "aria-label": "Appointments, newest first" },
    rows.map((r) => {
      const a = r.appointment.record;
      const w = utcToZoned(a.starts_at, ctx.tz);
      return h(
        "li",
        { "data-testid": "chart-appointment-row", "data-appointment-id": a.id, "data-status": a.status, class: r.appointment.pending ? "row-pending" : "" },
        h(
          "div",
          { class: "appt-when" },
          h("button", { type: "button", class: "link-btn", title: "Open this day's schedule", onclick: () => onOpenDay(w.date) }, showDate(w.date)),
          ` ${formatTime(a.starts_at, ctx.tz)} · ${a.duration_minutes} min`,
          h("span", { class: `status status-${a.status}` }, STATUS_LABEL[a.status]),
          ...syncBadges(r.appointment),
        ),
        h(
          "div",
          { class: "appt-what" },
          `${KIND_LABEL[a.kind]} with ${r.provider_name}`,
          a.reason ? ` · ${a.reason}` : "",
          a.status === "cancelled" && a.notes ? h("span", { class: "muted" }, ` (${a.notes})`) : null,
        ),
      );
    }),
  );
}

export function chartScreen(ctx: Ctx, requestedId: string): Screen {
  // the record shown, which every action acts on: the one asked for, or the record it was
  // merged into (the chart of a merged-away record opens the record kept)
  let patientId = requestedId;
  const body = h("div", { class: "chart-body", "aria-busy": "true" }, h("p", { class: "muted" }, "Opening chart…"));
  const el = h("section", { class: "screen chart-screen", "data-testid": "chart", "data-patient-id": patientId }, body);
  let heading: HTMLElement | null = null;
  let chart: PatientChart | null = null;
  let seq = 0;
  // one trend panel for the screen's life, so the chosen period survives refreshes
  const trends = ctx.can("vital_signs_read") ? trendPanel(ctx) : null;
  const screen: Screen = {
    el,
    title: "Chart",
    focus: () => {
      trends?.unitsChanged();
      (heading ?? el).focus();
    },
    destroy: () => trends?.destroy(),
    refresh: () => void load(),
    onKey: (e) => {
      if (e.altKey && !e.ctrlKey && e.code === "KeyV" && ctx.can("vital_signs_write")) {
        ctx.open({ name: "vitals", patientId });
        return true;
      }
      if (e.altKey && !e.ctrlKey && e.code === "KeyE" && ctx.can("patient_write")) {
        ctx.open({ name: "edit-patient", patientId });
        return true;
      }
      return false;
    },
  };

  const render = (c: PatientChart) => {
    const p = c.patient.record;
    const names = new Map(c.staff.map((s) => [s.id, s.full_name]));
    const staffName = (id: string) => names.get(id) ?? ctx.staffName(id);
    const units = loadUnitPrefs(localStorage);
    screen.title = patientName(p);
    document.title = `${patientName(p)} · medoffice`;
    const focused = document.activeElement === heading;
    heading = h("h1", { id: "chart-name", "data-testid": "chart-name", tabindex: -1 }, patientName(p));
    const actions = h(
      "div",
      { class: "chart-actions" },
      ctx.can("vital_signs_write")
        ? h("button", { type: "button", class: "btn btn-primary", id: "btn-record-vitals", "data-testid": "btn-record-vitals", onclick: () => ctx.open({ name: "vitals", patientId }) }, "Record vitals", h("kbd", { "aria-hidden": "true" }, "Alt+V"))
        : null,
      ctx.can("patient_write")
        ? h("button", { type: "button", class: "btn", id: "btn-edit-patient", "data-testid": "btn-edit-patient", onclick: () => ctx.open({ name: "edit-patient", patientId }) }, "Edit details", h("kbd", { "aria-hidden": "true" }, "Alt+E"))
        : null,
      ctx.can("appointment_write")
        ? h("button", { type: "button", class: "btn", id: "btn-book-appointment", "data-testid": "btn-book-appointment", onclick: () => ctx.open({ name: "book", patientId }) }, "Book appointment")
        : null,
      ctx.can("appointment_read")
        ? h("button", { type: "button", class: "btn", "data-testid": "btn-print-card", onclick: () => ctx.open({ name: "print", layout: "card", patientId }) }, "Print appointment card")
        : null,
      ctx.can("vital_signs_read")
        ? h("button", { type: "button", class: "btn", "data-testid": "btn-print-summary", onclick: () => ctx.open({ name: "print", layout: "summary", patientId }) }, "Print visit summary")
        : null,
    );
    const address = addressLines(p);
    const demo: [string, string | null][] = [
      ["Phone", p.phone],
      ["E-mail", p.email],
      ["Address", address.length > 0 ? address.join(", ") : null],
      ["Language", p.preferred_language ? `${languageName(p.preferred_language)}${p.interpreter_required ? " · interpreter needed" : ""}` : p.interpreter_required ? "Interpreter needed" : null],
      ["Emergency", [p.emergency_contact_name, p.emergency_contact_phone].filter(Boolean).join(" · ") || null],
      [
        "Next of kin",
        p.next_of_kin_name ? [p.next_of_kin_name + (p.next_of_kin_relationship ? ` (${KIN_LABEL[p.next_of_kin_relationship].toLowerCase()})` : ""), p.next_of_kin_phone].filter(Boolean).join(" · ") : null,
      ],
      ["First seen", p.first_seen_at ? showDate(p.first_seen_at) : null],
      ["Notes", p.notes],
      // last, across the panel: the numbers are long
      ["Identifiers", p.identifiers.length > 0 ? p.identifiers.map(identifierText).join(" · ") : null],
    ];
    replace(
      body,
      patientBanner({
        patient: c.patient,
        heading,
        today: ctx.today(),
        vitals: ctx.can("vital_signs_read") ? c.vitals : null,
        tz: ctx.tz,
        units,
        onEditDetails: ctx.can("patient_write") ? () => ctx.open({ name: "edit-patient", patientId }) : undefined,
        escalation: {
          acks: c.escalation_acks,
          staffName,
          onAcknowledge: ctx.can("vital_signs_write")
            ? (vitalSignsId) =>
                void api
                  .acknowledgeEscalation(patientId, vitalSignsId)
                  .then(async () => {
                    ctx.toast("Escalation acknowledged; recorded in the audit log.", "success");
                    await load();
                    // the button is gone: keep the keyboard where it was, on what replaced it
                    el.querySelector<HTMLElement>('[data-testid="escalation-acknowledged"]')?.focus();
                  })
                  .catch((e: CommandError) => ctx.toast(`Could not acknowledge: ${e.message}`, "error"))
            : null,
        },
      }),
      c.merged_from
        ? h(
            "div",
            { class: "banner banner-info", role: "status", "data-testid": "chart-merged-from" },
            `MRN ${c.merged_from.mrn} (${patientName(c.merged_from)}) was merged into this record: its vital signs and appointments are here.`,
          )
        : null,
      actions,
      h(
        "div",
        { class: "chart-grid" },
        h(
          "section",
          { class: "panel", "aria-labelledby": "demo-title" },
          h("h2", { id: "demo-title" }, "Demographics"),
          h(
            "dl",
            { class: "demo", "data-testid": "demographics" },
            ...demo.flatMap(([k, v]) => [h("dt", null, k), h("dd", { class: `${v ? "" : "muted"} ${k === "Identifiers" ? "demo-wide" : ""}`.trim(), "data-testid": `demo-${k.toLowerCase().replace(/ /g, "-")}` }, v ?? "—")]),
          ),
        ),
        h(
          "section",
          { class: "panel", "aria-labelledby": "appt-title" },
          h("h2", { id: "appt-title" }, "Appointments"),
          ctx.can("appointment_read")
            ? appointmentsList(ctx, c.appointments, (date) => ctx.open({ name: "schedule", date }))
            : h("p", { class: "muted" }, "Your role does not show appointments."),
        ),
      ),
      trends?.el ?? null,
      ctx.can("vital_signs_read")
        ? h(
            "section",
            { class: "panel", "aria-labelledby": "vitals-title" },
            h("h2", { id: "vitals-title" }, "Vital signs"),
            vitalsTable(ctx, c.vitals, staffName, units, {
              withdraw: async (v, reason) => {
                const saved = await api.correctVitals(v.id, { patient_id: patientId, status: "entered-in-error", reason });
                ctx.toast(
                  `Set of ${formatDateTime(v.measured_at, ctx.tz)} marked entered in error${saved.pending && !ctx.online() ? " on this workstation; it will be sent when the server is reachable" : ""}.`,
                  "success",
                );
                await load();
              },
              amend: (v) => ctx.open({ name: "vitals", patientId, amendId: v.id }),
            }),
            legend(),
          )
        : null,
    );
    trends?.update(c.vitals, p.date_of_birth, p.sex);
    body.removeAttribute("aria-busy");
    if (focused) heading.focus();
  };

  const load = async () => {
    const my = ++seq;
    try {
      const c = await api.patientChart(requestedId);
      patientId = c.patient.record.id;
      el.dataset.patientId = patientId;
      if (my !== seq) return;
      chart = c;
      render(c);
    } catch (raw) {
      if (my !== seq) return;
      const e = raw as CommandError;
      if (chart) {
        ctx.toast(`Could not refresh the chart: ${e.message}`, "error");
        return;
      }
      replace(
        body,
        h("div", { class: "banner banner-error", role: "alert", "data-testid": "chart-error" }, e.code === "not_found" ? "This patient is not in the clinic's records." : `Could not open the chart: ${e.message}`),
        h("button", { type: "button", class: "btn", onclick: () => ctx.back() }, "Back"),
      );
    }
  };
  void load().then(() => {
    if (document.activeElement === document.body || document.activeElement === el) screen.focus();
  });
  return screen;
}
