// "My patients today": the signed-in nurse's or physician's bookings of the clinic's today,
// with age and sex, reason, status and the waiting time since check-in; open the chart,
// record vitals, start and complete the visit. Updates live as other workstations check in.

import { nowMs } from "../lib/clock";
import { api } from "../api";
import type { AppointmentRow } from "../bindings/AppointmentRow";
import type { AppointmentStatus } from "../bindings/AppointmentStatus";
import type { CommandError } from "../bindings/CommandError";
import { h, replaceKeepingFocus } from "../dom";
import { formatAge } from "../lib/dates";
import { KIND_LABEL, SEX_LABEL, STATUS_LABEL } from "../lib/format";
import { canBecome } from "../lib/workflow";
import { formatLongDate, formatTime } from "../lib/locale";
import type { Ctx, Screen } from "../ui/context";
import { syncBadges } from "./common";
import { timeSpan } from "./schedule";

/** "4 min", "1 h 05 min" of a span in milliseconds (under a minute: "just now"). */
export function waitingText(ms: number): string {
  const min = Math.floor(ms / 60_000);
  if (min < 1) return "just now";
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, "0")} min`;
}

/**
 * The waiting time of a booking at `now` (ms since the epoch): from its `checked_in_at` (the
 * moment of check-in at the desk, kept by the server, RFC 3339) while it is `checked_in`;
 * "" for any other status or a visit checked in before check-in times were kept. A desk
 * clock a little ahead of this one reads "just now".
 */
export function waitingFor(status: AppointmentStatus, checkedInAt: string | null, now: number): string {
  if (status !== "checked_in" || !checkedInAt) return "";
  const at = Date.parse(checkedInAt);
  return Number.isNaN(at) ? "" : waitingText(now - at);
}

export function todayScreen(ctx: Ctx): Screen {
  const tbody = h("tbody");
  const summary = h("p", { class: "muted", "data-testid": "today-summary", "aria-live": "polite" });
  const err = h("div", { class: "banner banner-error", role: "alert", "data-testid": "today-error" });
  err.hidden = true;
  const dateLine = h("span", { class: "muted", "data-testid": "today-date" });
  const el = h(
    "section",
    { class: "screen today-screen", "aria-labelledby": "today-title", "data-testid": "today-screen" },
    h(
      "div",
      { class: "screen-head" },
      h("h1", { id: "today-title", tabindex: "-1" }, "My patients today ", dateLine),
      h("div", { class: "head-actions" }, h("button", { type: "button", class: "btn", "data-testid": "btn-print-my-day", onclick: () => ctx.open({ name: "print", layout: "day-list", date: ctx.today(), providerId: ctx.user.id }) }, "Print my day")),
    ),
    err,
    summary,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data-table today-table", "data-testid": "today-rows", "aria-labelledby": "today-title" },
        h("thead", null, h("tr", null, ...["Time", "Patient", "Age / sex", "Reason", "Status", "Waiting", "Actions"].map((c) => h("th", { scope: "col" }, c)))),
        tbody,
      ),
    ),
  );
  let rows: AppointmentRow[] = [];
  let roomNames = new Map<string, string>();
  let seq = 0;
  const busy = new Set<string>();
  const canWrite = ctx.can("appointment_write");
  const canVitals = ctx.can("vital_signs_write");

  const setStatus = async (row: AppointmentRow, to: AppointmentStatus) => {
    const a = row.appointment.record;
    busy.add(a.id);
    render();
    try {
      await api.setAppointmentStatus(a.id, to, null);
      ctx.toast(`${row.patient_name}: ${STATUS_LABEL[to].toLowerCase()}.`, "success");
    } catch (e) {
      err.textContent = `Could not change ${row.patient_name} to “${STATUS_LABEL[to]}”: ${(e as CommandError).message}`;
      err.hidden = false;
    } finally {
      busy.delete(a.id);
      void load();
    }
  };

  const render = () => {
    const today = ctx.today();
    dateLine.textContent = `· ${formatLongDate(today)}`;
    const now = nowMs();
    const by = (s: AppointmentStatus) => rows.filter((r) => r.appointment.record.status === s).length;
    // only what is there, in the words of the status badges
    const counts: [AppointmentStatus, string][] = [
      ["checked_in", "waiting"],
      ["in_progress", "in progress"],
      ["completed", "completed"],
      ["no_show", "no-show"],
    ];
    const text =
      rows.length === 0
        ? ""
        : [`${rows.length} booked`, ...counts.filter(([s]) => by(s) > 0).map(([s, words]) => `${by(s)} ${words}`)].join(" · ");
    // a live region: said again only when it changes, not at every tick of the clock
    if (summary.textContent !== text) summary.textContent = text;
    replaceKeepingFocus(
      tbody,
      "data-appointment-id",
      rows.length === 0
        ? h("tr", { class: "empty-row" }, h("td", { colspan: 7, "data-testid": "today-empty" }, "No bookings for you today."))
        : rows.map((r) => {
            const a = r.appointment.record;
            const waiting = waitingFor(a.status, a.checked_in_at, now);
            const btn = (label: string, testid: string, onclick: () => void, primary = false) =>
              h("button", { type: "button", class: `btn btn-small ${primary ? "btn-primary" : ""}`, "data-testid": testid, disabled: busy.has(a.id), "aria-label": `${label}: ${r.patient_name} at ${formatTime(a.starts_at, ctx.tz)}`, onclick }, label);
            return h(
              "tr",
              { "data-testid": "today-row", "data-appointment-id": a.id, "data-status": a.status, class: `status-row-${a.status}` },
              h("td", { class: "nowrap num" }, h("div", { class: "appt-time" }, timeSpan(a.starts_at, a.duration_minutes, ctx.tz))),
              h(
                "td",
                { class: "patient-cell" },
                h("button", { type: "button", class: "link-btn", "data-testid": "today-patient", onclick: () => ctx.open({ name: "chart", patientId: a.patient_id }) }, r.patient_name || "Unknown patient"),
                " ",
                h("span", { class: "mono muted" }, `(${r.patient_mrn})`),
              ),
              h("td", { "data-testid": "today-agesex" }, r.patient_date_of_birth ? formatAge(r.patient_date_of_birth, today) : "", r.patient_sex ? ` · ${SEX_LABEL[r.patient_sex]}` : ""),
              h("td", null, a.reason ?? "", h("div", { class: "muted small" }, KIND_LABEL[a.kind])),
              h(
                "td",
                null,
                h("span", { class: `status status-${a.status}`, "data-testid": "today-status" }, STATUS_LABEL[a.status]),
                ...syncBadges(r.appointment),
                // where the waiting room shows them (the same booking field)
                a.room_id && (a.status === "checked_in" || a.status === "in_progress") ? h("div", { class: "muted small", "data-testid": "today-room" }, roomNames.get(a.room_id) ?? "In a room") : null,
              ),
              h("td", { class: "nowrap", "data-testid": "today-waiting", title: waiting && a.checked_in_at ? `Checked in at ${formatTime(a.checked_in_at, ctx.tz)}` : "" }, waiting),
              h(
                "td",
                { class: "actions-cell" },
                h(
                  "div",
                  { class: "row-actions" },
                  btn("Open chart", "today-open", () => ctx.open({ name: "chart", patientId: a.patient_id })),
                  canVitals && (a.status === "checked_in" || a.status === "in_progress") ? btn("Record vitals", "today-vitals", () => ctx.open({ name: "vitals", patientId: a.patient_id })) : null,
                  canWrite && canBecome(a.status, "in_progress") && a.status === "checked_in" ? btn("Start", "today-start", () => void setStatus(r, "in_progress"), true) : null,
                  canWrite && a.status === "in_progress" ? btn("Complete", "today-complete", () => void setStatus(r, "completed"), true) : null,
                ),
              ),
            );
          }),
    );
  };

  const load = async () => {
    const my = ++seq;
    try {
      const [result, rooms] = await Promise.all([api.dayAppointments(ctx.today(), ctx.user.id), api.rooms()]);
      if (my !== seq) return;
      roomNames = new Map(rooms.map((x) => [x.id, x.name]));
      rows = result.sort((x, y) => Date.parse(x.appointment.record.starts_at) - Date.parse(y.appointment.record.starts_at));
      err.hidden = true;
      render();
    } catch (e) {
      if (my !== seq) return;
      err.textContent = `Could not load your patients: ${(e as CommandError).message}`;
      err.hidden = false;
    }
  };
  render();
  void load();
  // waiting times move on by themselves; past midnight the list is the new day's
  let shownDay = ctx.today();
  const timer = setInterval(() => {
    if (ctx.today() !== shownDay) {
      shownDay = ctx.today();
      void load();
    } else {
      render();
    }
  }, 30_000);

  return {
    el,
    title: "My patients today",
    focus: () => (el.querySelector<HTMLElement>('[data-testid="today-patient"]') ?? el.querySelector<HTMLElement>("h1"))?.focus(),
    refresh: (entities) => {
      if (entities.some((x) => x === "appointment" || x === "patient" || x === "room")) void load();
    },
    destroy: () => clearInterval(timer),
  };
}
