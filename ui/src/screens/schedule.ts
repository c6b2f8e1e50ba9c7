// The day's schedule: date and provider, bookings by time in the clinic's zone, and the
// workflow actions (check in, start, complete, no-show, cancel with a reason).

import { api } from "../api";
import type { AppointmentRow } from "../bindings/AppointmentRow";
import type { AppointmentStatus } from "../bindings/AppointmentStatus";
import type { CommandError } from "../bindings/CommandError";
import type { StaffMember } from "../bindings/StaffMember";
import { h, replace } from "../dom";
import { KIND_LABEL, ROLE_LABEL, STATUS_LABEL, canBecome } from "../lib/format";
import { addDays, formatLongDate, formatTime, parseIsoDate } from "../lib/tz";
import type { Ctx, Screen } from "../ui/context";
import { openModal } from "../ui/modal";
import { syncBadges } from "./common";

/** Staff who can be booked: active physicians and nurses, by name. */
export function providers(staff: StaffMember[]): StaffMember[] {
  return staff
    .filter((s) => s.active && (s.role === "physician" || s.role === "nurse"))
    .sort((a, b) => a.full_name.localeCompare(b.full_name));
}

/** "09:30–09:45" of a booking in the clinic's zone. */
export function timeSpan(startsAt: string, minutes: number, tz: string): string {
  const end = new Date(Date.parse(startsAt) + minutes * 60_000).toISOString();
  return `${formatTime(startsAt, tz)}–${formatTime(end, tz)}`;
}

interface Action {
  to: AppointmentStatus;
  label: string;
  testid: string;
  primary?: boolean;
}

const ACTIONS: Action[] = [
  { to: "checked_in", label: "Check in", testid: "appt-checkin", primary: true },
  { to: "in_progress", label: "Start", testid: "appt-start", primary: true },
  { to: "completed", label: "Complete", testid: "appt-complete" },
  { to: "no_show", label: "No-show", testid: "appt-noshow" },
  { to: "cancelled", label: "Cancel", testid: "appt-cancel" },
];

export function scheduleScreen(ctx: Ctx, initialDate?: string): Screen {
  let date = initialDate ?? ctx.scheduleDate ?? ctx.today();
  ctx.scheduleDate = date;
  let provider: string | null = ctx.scheduleProvider;
  const dateInput = h("input", { type: "date", id: "schedule-date", "data-testid": "schedule-date", value: date, required: true });
  const providerSel = h("select", { id: "schedule-provider", "data-testid": "schedule-provider" });
  const fillProviders = () => {
    const list = providers(ctx.staff());
    replace(
      providerSel,
      h("option", { value: "" }, "All providers"),
      list.map((s) => h("option", { value: s.id }, `${s.full_name} (${ROLE_LABEL[s.role]})`)),
    );
    if (provider && !list.some((s) => s.id === provider)) provider = null;
    providerSel.value = provider ?? "";
  };
  fillProviders();
  const longDate = h("span", { class: "muted", id: "schedule-long-date", "data-testid": "schedule-long-date" });
  const counts = h("p", { class: "muted", "data-testid": "schedule-counts", "aria-live": "polite" });
  const tbody = h("tbody");
  const err = h("div", { class: "banner banner-error", role: "alert", "data-testid": "schedule-error" });
  err.hidden = true;
  const go = (d: string) => {
    if (!parseIsoDate(d)) return;
    date = d;
    ctx.scheduleDate = d;
    dateInput.value = d;
    void load();
  };
  const canWrite = ctx.can("appointment_write");
  const el = h(
    "section",
    { class: "screen schedule-screen", "aria-labelledby": "schedule-title" },
    h(
      "div",
      { class: "screen-head" },
      h("h1", { id: "schedule-title" }, "Schedule ", longDate),
      canWrite
        ? h(
            "button",
            { type: "button", class: "btn btn-primary", id: "btn-book-appointment", "data-testid": "btn-book-appointment", onclick: () => ctx.open({ name: "book", date, providerId: provider }) },
            "Book appointment",
          )
        : null,
    ),
    h(
      "div",
      { class: "toolbar" },
      h("button", { type: "button", class: "btn", id: "schedule-prev", "data-testid": "schedule-prev", "aria-label": "Previous day", onclick: () => go(addDays(date, -1)) }, "◀"),
      h("label", { for: "schedule-date", class: "sr-only" }, "Date"),
      dateInput,
      h("button", { type: "button", class: "btn", id: "schedule-next", "data-testid": "schedule-next", "aria-label": "Next day", onclick: () => go(addDays(date, 1)) }, "▶"),
      h("button", { type: "button", class: "btn", id: "schedule-today", "data-testid": "schedule-today", onclick: () => go(ctx.today()) }, "Today"),
      h("label", { for: "schedule-provider", class: "toolbar-label" }, "Provider"),
      providerSel,
    ),
    err,
    counts,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data-table schedule-table", id: "schedule-rows", "data-testid": "schedule-rows", "aria-label": "Appointments by time" },
        h(
          "thead",
          null,
          h("tr", null, ...["Time", "Patient", "Provider", "Kind", "Status", "Reason", canWrite ? "Actions" : null].filter(Boolean).map((c) => h("th", { scope: "col" }, c as string))),
        ),
        tbody,
      ),
    ),
  );

  dateInput.addEventListener("change", () => go(dateInput.value));
  providerSel.addEventListener("change", () => {
    provider = providerSel.value || null;
    ctx.scheduleProvider = provider;
    void load();
  });

  let rows: AppointmentRow[] = [];
  let seq = 0;
  const busyIds = new Set<string>();

  const setStatus = async (row: AppointmentRow, to: AppointmentStatus, note: string | null) => {
    const a = row.appointment.record;
    busyIds.add(a.id);
    render();
    try {
      const updated = await api.setAppointmentStatus(a.id, to, note);
      rows = rows.map((r) => (r.appointment.record.id === a.id ? updated : r));
      ctx.toast(`${row.patient_name || "Appointment"}: ${STATUS_LABEL[to].toLowerCase()}.`, "success");
    } catch (raw) {
      const e = raw as CommandError;
      err.textContent = `Could not change ${row.patient_name || "the appointment"} to “${STATUS_LABEL[to]}”: ${e.message}`;
      err.hidden = false;
    } finally {
      busyIds.delete(a.id);
      render();
      void load();
    }
  };

  const askCancel = (row: AppointmentRow) => {
    const a = row.appointment.record;
    const reason = h("textarea", { id: "cancel-reason", "data-testid": "cancel-reason", rows: 3, "aria-describedby": "cancel-reason-error", maxlength: 2000 });
    const rErr = h("div", { class: "field-error", id: "cancel-reason-error", "data-testid": "cancel-reason-error", "aria-live": "polite" });
    const confirm = h("button", { type: "submit", class: "btn btn-danger", id: "cancel-confirm", "data-testid": "cancel-confirm" }, "Cancel appointment");
    const keep = h("button", { type: "button", class: "btn", id: "cancel-keep", "data-testid": "cancel-keep" }, "Keep it");
    const form = h(
      "form",
      { novalidate: true },
      h("p", null, `${timeSpan(a.starts_at, a.duration_minutes, ctx.tz)} · ${row.patient_name} (${row.patient_mrn}) with ${row.provider_name}`),
      h("div", { class: "field" }, h("label", { for: "cancel-reason" }, "Reason for cancelling"), reason, rErr),
      h("div", { class: "form-actions" }, confirm, keep),
    );
    const m = openModal({ title: "Cancel appointment", testid: "cancel-dialog", content: form });
    keep.addEventListener("click", () => m.close());
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = reason.value.trim();
      if (!text) {
        rErr.textContent = "Please give a reason.";
        reason.setAttribute("aria-invalid", "true");
        reason.focus();
        return;
      }
      m.close();
      void setStatus(row, "cancelled", text);
    });
    reason.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
  };

  const render = () => {
    longDate.textContent = `· ${formatLongDate(date)}${date === ctx.today() ? " (today)" : ""}`;
    const sorted = [...rows].sort((x, y) => Date.parse(x.appointment.record.starts_at) - Date.parse(y.appointment.record.starts_at));
    const by = (s: AppointmentStatus) => sorted.filter((r) => r.appointment.record.status === s).length;
    counts.textContent =
      sorted.length === 0
        ? ""
        : `${sorted.length} booked · ${by("checked_in")} checked in · ${by("in_progress")} in progress · ${by("completed")} completed · ${by("no_show")} no-show · ${by("cancelled")} cancelled`;
    replace(
      tbody,
      sorted.length === 0
        ? h("tr", { class: "empty-row" }, h("td", { colspan: canWrite ? 7 : 6 }, "No appointments on this day."))
        : sorted.map((r) => {
            const a = r.appointment.record;
            const busy = busyIds.has(a.id);
            return h(
              "tr",
              {
                "data-testid": "schedule-row",
                "data-appointment-id": a.id,
                "data-status": a.status,
                class: `status-row-${a.status} ${r.appointment.pending ? "row-pending" : ""} ${r.appointment.rejected ? "row-rejected" : ""}`,
              },
              h(
                "td",
                { class: "nowrap num" },
                h("div", { class: "appt-time", "data-testid": "schedule-time" }, formatTime(a.starts_at, ctx.tz)),
                h("div", { class: "muted small", "data-testid": "schedule-duration" }, `${a.duration_minutes} min`),
              ),
              h(
                "td",
                { class: "patient-cell" },
                h("button", { type: "button", class: "link-btn", "data-testid": "schedule-patient", onclick: () => ctx.open({ name: "chart", patientId: a.patient_id }) }, r.patient_name || "Unknown patient"),
                " ",
                h("span", { class: "mono muted" }, `(${r.patient_mrn})`),
              ),
              h("td", null, r.provider_name),
              h("td", null, KIND_LABEL[a.kind], a.overbooked ? h("span", { class: "badge", title: "Booked over another booking on purpose" }, "overbooked") : null),
              h("td", null, h("span", { class: `status status-${a.status}`, "data-testid": "schedule-status" }, STATUS_LABEL[a.status]), ...syncBadges(r.appointment)),
              h("td", null, a.reason ?? "", a.status === "cancelled" && a.notes ? h("div", { class: "muted small" }, a.notes) : null),
              canWrite
                ? h(
                    "td",
                    { class: "actions-cell" },
                    h("div", { class: "row-actions" }, ACTIONS.filter((x) => x.to !== a.status && canBecome(a.status, x.to)).map((x) =>
                      h(
                        "button",
                        {
                          type: "button",
                          class: `btn btn-small ${x.primary ? "btn-primary" : ""} ${x.to === "cancelled" ? "btn-quiet-danger" : ""}`,
                          "data-testid": x.testid,
                          "aria-label": `${x.label}: ${r.patient_name} at ${formatTime(a.starts_at, ctx.tz)}`,
                          disabled: busy,
                          onclick: () => {
                            err.hidden = true;
                            if (x.to === "cancelled") askCancel(r);
                            else void setStatus(r, x.to, null);
                          },
                        },
                        x.label,
                      ),
                    )),
                  )
                : null,
            );
          }),
    );
  };

  const load = async () => {
    const my = ++seq;
    try {
      const result = await api.dayAppointments(date, provider);
      if (my !== seq) return;
      rows = result;
      render();
    } catch (raw) {
      if (my !== seq) return;
      err.textContent = `Could not load the schedule: ${(raw as CommandError).message}`;
      err.hidden = false;
    }
  };
  render();
  void load();

  return {
    el,
    title: "Schedule",
    focus: () => dateInput.focus(),
    refresh: (entities) => {
      if (ctx.scheduleDate && ctx.scheduleDate !== date) {
        date = ctx.scheduleDate;
        dateInput.value = date;
      }
      if (entities.includes("user")) fillProviders();
      if (entities.some((x) => x === "appointment" || x === "patient" || x === "user")) void load();
    },
    onKey: (e) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return false;
      if (e.altKey && e.key === "ArrowLeft") {
        go(addDays(date, -1));
        return true;
      }
      if (e.altKey && e.key === "ArrowRight") {
        go(addDays(date, 1));
        return true;
      }
      return false;
    },
  };
}
