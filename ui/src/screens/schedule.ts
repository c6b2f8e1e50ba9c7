// The schedule: a day or a week, of one provider or the whole clinic, as a time grid
// (bookings sized by length, moved by drag and drop or Alt+arrows, "Move…", free-slot
// finding), and below it the chosen day's arrivals list with the workflow actions (check in,
// start, complete, no-show, cancel with a reason).

import { api } from "../api";
import type { AppointmentRow } from "../bindings/AppointmentRow";
import type { AppointmentStatus } from "../bindings/AppointmentStatus";
import type { AvailabilityView } from "../bindings/AvailabilityView";
import type { VisitType } from "../bindings/VisitType";
import type { CommandError } from "../bindings/CommandError";
import type { StaffMember } from "../bindings/StaffMember";
import { h, replace, replaceKeepingFocus } from "../dom";
import { KIND_LABEL, ROLE_LABEL, STATUS_LABEL } from "../lib/format";
import { canBecome, durationError } from "../lib/workflow";
import { minutesOfDay, openTimeOf, shiftWallClock, shownHours, timeOfMinutes, weekdayMon0 } from "../lib/slots";
import { addDays, parseIsoDate, utcToZoned, zonedToUtc } from "../lib/tz";
import { conventions, formatLongDate, formatTime, parseDate, parseTime, showDate, showTime, weekDates } from "../lib/locale";
import type { Ctx, Screen } from "../ui/context";
import { dateInput, field, select, textInput, timeInput } from "../ui/forms";
import { openModal } from "../ui/modal";
import { clashText } from "./book";
import { syncBadges } from "./common";
import { SLOT_PX, columnOf, dayTitle, movable, renderGrid, slotInstant, type GridColumn, type SlotRef } from "./scheduleGrid";
import { freeTimeOffers, openSlotFinder } from "./slotFinder";

/** Day or week; kept while the app runs. */
let lastView: "day" | "week" = "day";

/** The clinic's weekend: the last two days of its week (Saturday and Sunday where weeks start on Monday or Sunday; Friday and Saturday where they start on Saturday). */
function isWeekend(date: string): boolean {
  const mon0 = weekdayMon0(date);
  return conventions().week_start === "saturday" ? mon0 === 4 || mon0 === 5 : mon0 >= 5;
}

/** Staff who can be booked: active physicians and nurses, by name. */
export function providers(staff: StaffMember[]): StaffMember[] {
  return staff
    .filter((s) => s.active && (s.role === "physician" || s.role === "nurse"))
    .sort((a, b) => a.full_name.localeCompare(b.full_name));
}

/** "checked in 09:12": the desk's check-in time (`checked_in_at`, RFC 3339) in the clinic's zone. */
export function checkedInText(checkedInAt: string, tz: string): string {
  return `checked in ${formatTime(checkedInAt, tz)}`;
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

/** Words for a refused move: the clashing booking named, or the reasons by field. */
export function moveErrorText(e: CommandError, rows: AppointmentRow[], tz: string): string {
  if (e.code === "conflict") {
    const other = rows.find((r) => r.appointment.record.id === e.conflicting_appointment_id);
    return other ? `Not moved: it would clash with ${clashText(other, tz)}.` : `Not moved: ${e.message}.`;
  }
  if (e.code === "validation" && e.fields) {
    const words: Record<string, string> = { starts_at: "the new time", duration_minutes: "the length", provider_id: "the provider", status: "this booking" };
    const parts = Object.entries(e.fields).map(([k, v]) => `${words[k] ?? k} ${(v ?? []).join(", ")}`);
    return `Not moved: ${parts.join("; ")}.`;
  }
  return `Not moved: ${e.message}`;
}

export function scheduleScreen(ctx: Ctx, initialDate?: string): Screen {
  let date = initialDate ?? ctx.scheduleDate ?? ctx.today();
  ctx.scheduleDate = date;
  let provider: string | null = ctx.scheduleProvider;
  let view: "day" | "week" = lastView;
  const dayPicker = dateInput(date, { id: "schedule-date", "data-testid": "schedule-date", class: "day-picker", required: true });
  const providerSel = h("select", { id: "schedule-provider", "data-testid": "schedule-provider" });
  const fillProviders = () => {
    const list = providers(ctx.staff());
    replace(
      providerSel,
      h("option", { value: "" }, "Whole clinic (all providers)"),
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
  const live = h("div", { class: "sr-only", "aria-live": "polite", "data-testid": "schedule-announce" });
  const gridHost = h("div", { class: "sched-grid-host" });
  const arrivalsTitle = h("h2", { class: "section-title", id: "arrivals-title" }, "Arrivals");
  const go = (d: string) => {
    if (!parseIsoDate(d)) return;
    date = d;
    ctx.scheduleDate = d;
    dayPicker.value = showDate(d);
    dayPicker.removeAttribute("aria-invalid");
    dayPicker.title = "";
    selected = null;
    void load();
  };
  const step = () => (view === "week" ? 7 : 1);
  const canWrite = ctx.can("appointment_write");
  const viewBtn = (v: "day" | "week", label: string) =>
    h("button", {
      type: "button",
      class: "btn seg-btn",
      id: `schedule-view-${v}`,
      "data-testid": `schedule-view-${v}`,
      "aria-pressed": String(view === v),
      onclick: () => {
        view = v;
        lastView = v;
        selected = null;
        dayBtn.setAttribute("aria-pressed", String(view === "day"));
        weekBtn.setAttribute("aria-pressed", String(view === "week"));
        void load();
      },
    }, label);
  const dayBtn = viewBtn("day", "Day");
  const weekBtn = viewBtn("week", "Week");
  const bookAtSelection = () => {
    const at = selected ? slotRoute(selected) : null;
    ctx.open(at ?? { name: "book", date, providerId: provider });
  };
  const el = h(
    "section",
    { class: "screen schedule-screen", "aria-labelledby": "schedule-title" },
    h(
      "div",
      { class: "screen-head" },
      h("h1", { id: "schedule-title" }, "Schedule ", longDate),
      h(
        "div",
        { class: "head-actions" },
        h(
          "button",
          {
            type: "button",
            class: "btn",
            "data-testid": "btn-print-day",
            title: "A provider's day list, to print or save as PDF",
            onclick: () => {
              if (!provider) {
                err.textContent = "Choose a provider to print their day list.";
                err.hidden = false;
                providerSel.focus();
                return;
              }
              ctx.open({ name: "print", layout: "day-list", date, providerId: provider });
            },
          },
          "Print day list",
        ),
        canWrite
          ? h("button", { type: "button", class: "btn", id: "btn-find-slot", "data-testid": "btn-find-slot", onclick: () => openSlotFinder(ctx, { providerId: provider, fromDate: date }) }, "Find a free slot", h("kbd", { "aria-hidden": "true" }, "F"))
          : null,
        canWrite
          ? h("button", { type: "button", class: "btn btn-primary", id: "btn-book-appointment", "data-testid": "btn-book-appointment", onclick: bookAtSelection }, "Book appointment", h("kbd", { "aria-hidden": "true" }, "B"))
          : null,
      ),
    ),
    h(
      "div",
      { class: "toolbar" },
      h("div", { class: "seg", role: "group", "aria-label": "View" }, dayBtn, weekBtn),
      h("button", { type: "button", class: "btn", id: "schedule-prev", "data-testid": "schedule-prev", "aria-label": "Previous day or week", onclick: () => go(addDays(date, -step())) }, "◀"),
      h("label", { for: "schedule-date", class: "sr-only" }, "Date"),
      dayPicker,
      h("button", { type: "button", class: "btn", id: "schedule-next", "data-testid": "schedule-next", "aria-label": "Next day or week", onclick: () => go(addDays(date, step())) }, "▶"),
      h("button", { type: "button", class: "btn", id: "schedule-today", "data-testid": "schedule-today", onclick: () => go(ctx.today()) }, "Today"),
      h("label", { for: "schedule-provider", class: "toolbar-label" }, "Provider"),
      providerSel,
    ),
    err,
    live,
    gridHost,
    arrivalsTitle,
    counts,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data-table schedule-table", id: "schedule-rows", "data-testid": "schedule-rows", "aria-labelledby": "arrivals-title" },
        h(
          "thead",
          null,
          h("tr", null, ...["Time", "Patient", "Provider", "Kind", "Status", "Reason", canWrite ? "Actions" : null].filter(Boolean).map((c) => h("th", { scope: "col" }, c as string))),
        ),
        tbody,
      ),
    ),
  );

  dayPicker.addEventListener("change", () => {
    const p = parseDate(dayPicker.value);
    if (p.ok) go(p.value);
    else {
      dayPicker.setAttribute("aria-invalid", "true");
      dayPicker.title = `Date ${p.error}`;
    }
  });
  providerSel.addEventListener("change", () => {
    provider = providerSel.value || null;
    ctx.scheduleProvider = provider;
    selected = null;
    void load();
  });

  let rows: AppointmentRow[] = [];
  let avail: AvailabilityView | null = null;
  let visitTypes = new Map<string, VisitType>();
  let seq = 0;
  const busyIds = new Set<string>();
  let selected: SlotRef | null = null;
  let columns: GridColumn[] = [];
  let moveError: { id: string; text: string } | null = null;
  /** The booking (or slot) to give the focus back to after a re-render. */
  let focusId: string | null = null;
  let focusSlot = false;

  const slotRoute = (s: SlotRef) => {
    const c = columns[s.col];
    if (!c) return null;
    return { name: "book" as const, date: c.date, providerId: c.providerId ?? provider, time: timeOfMinutes(s.minutes) };
  };

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

  /** Moves a booking; a refusal shows next to it (and in the dialog, when one is open). */
  let lastRefusal: CommandError["code"] | null = null;
  const doMove = async (row: AppointmentRow, startsAt: string, minutes: number, providerId: string, outsideHoursReason: string | null = null): Promise<string | null> => {
    const a = row.appointment.record;
    moveError = null;
    lastRefusal = null;
    err.hidden = true;
    try {
      const moved = await api.moveAppointment(a.id, startsAt, minutes, providerId, outsideHoursReason);
      const w = utcToZoned(moved.appointment.record.starts_at, ctx.tz);
      const text = `Moved ${row.patient_name || "the booking"} to ${formatLongDate(w.date)} ${showTime(w.time)}${providerId !== a.provider_id ? ` with ${moved.provider_name}` : ""}.`;
      live.textContent = text;
      ctx.toast(text, "success");
      focusId = a.id;
      // the booking left the view: follow it
      if (!columns.some((c) => c.date === w.date)) {
        date = w.date;
        ctx.scheduleDate = w.date;
        dayPicker.value = showDate(w.date);
      } else if (columns.every((c) => c.providerId !== null) && !columns.some((c) => c.providerId === providerId) && provider) {
        provider = providerId;
        ctx.scheduleProvider = provider;
        providerSel.value = provider;
      }
      await load();
      return null;
    } catch (raw) {
      const e = raw as CommandError;
      lastRefusal = e.code;
      const text = moveErrorText(e, rows, ctx.tz);
      if (e.code === "conflict" && e.conflicting_appointment_id && !rows.some((r) => r.appointment.record.id === e.conflicting_appointment_id)) {
        // the other booking is outside this view: look it up on its day
        try {
          const day = await api.dayAppointments(utcToZoned(startsAt, ctx.tz).date, null);
          const other = day.find((r) => r.appointment.record.id === e.conflicting_appointment_id);
          if (other) moveError = { id: a.id, text: `Not moved: it would clash with ${clashText(other, ctx.tz)}.` };
        } catch {
          // keep the general words
        }
      }
      moveError ??= { id: a.id, text };
      live.textContent = moveError.text;
      focusId = a.id;
      render();
      return moveError.text;
    }
  };

  const openMoveDialog = (row: AppointmentRow) => {
    const a = row.appointment.record;
    const w = utcToZoned(a.starts_at, ctx.tz);
    const list = providers(ctx.staff());
    const mDate = field(dateInput(w.date), { id: "move-date", name: "date", label: "Date", required: true });
    const mTime = field(timeInput(w.time), { id: "move-time", name: "time", label: "Time", required: true, hint: `Clinic time (${ctx.tz})` });
    const mProv = field(select(list.map((s) => [s.id, `${s.full_name} (${ROLE_LABEL[s.role]})`] as [string, string]), a.provider_id), { id: "move-provider", name: "provider_id", label: "Provider", required: true });
    // a provider's full name and role never clipped
    mProv.wrap.classList.add("span-2");
    const mLen = field(textInput({ value: String(a.duration_minutes), inputmode: "numeric" }), { id: "move-duration", name: "duration_minutes", label: "Length (minutes)", required: true });
    const mErr = h("div", { class: "banner banner-error", role: "alert", "data-testid": "move-dialog-error" });
    mErr.hidden = true;
    // after a clash or a time outside the hours: the provider's next free times
    const mOffers = h("div", { class: "span-2" });
    // shown once a move is refused for the hours, to a role that may override them
    const mWhy = field(textInput({ maxlength: 500 }), { id: "move-outside-reason", name: "outside_hours_reason", label: "Why move it outside the hours", hint: "Kept with the booking and in the audit log" });
    mWhy.wrap.classList.add("span-2");
    mWhy.wrap.hidden = true;
    const save = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "move-save" }, "Move", h("kbd", { "aria-hidden": "true" }, "Ctrl+Enter"));
    const keep = h("button", { type: "button", class: "btn", "data-testid": "move-keep" }, "Close");
    const form = h(
      "form",
      { class: "form-grid", novalidate: true, "data-testid": "move-form" },
      h("p", { class: "span-2" }, `${timeSpan(a.starts_at, a.duration_minutes, ctx.tz)} · ${row.patient_name} (MRN ${row.patient_mrn}) with ${row.provider_name}`),
      mDate.wrap,
      mTime.wrap,
      mProv.wrap,
      mLen.wrap,
      mWhy.wrap,
      h("div", { class: "span-2" }, mErr),
      mOffers,
      h("div", { class: "form-actions span-2" }, save, keep),
    );
    const m = openModal({ title: "Move booking", testid: "move-dialog", content: form });
    // offers were found for the provider and length as they were: gone once either changes
    form.addEventListener("input", (e) => {
      if (e.target === mProv.control || e.target === mLen.control || e.target === mDate.control) replace(mOffers);
    });
    form.addEventListener("change", (e) => {
      if (e.target === mProv.control) replace(mOffers);
    });
    keep.addEventListener("click", () => m.close());
    form.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      mErr.hidden = true;
      replace(mOffers);
      for (const f of [mDate, mTime, mLen, mProv, mWhy]) f.setError(null);
      const pd = parseDate(mDate.control.value);
      const d = pd.ok ? pd.value : "";
      const pt = parseTime(mTime.control.value);
      const t = pt.ok ? pt.value : null;
      const len = /^\d+$/.test(mLen.control.value.trim()) ? Number(mLen.control.value.trim()) : NaN;
      let bad = false;
      if (!pd.ok) (mDate.setError(pd.error), (bad = true));
      if (!pt.ok) (mTime.setError(pt.error), (bad = true));
      const lenErr = durationError(len);
      if (lenErr !== null) (mLen.setError(lenErr), (bad = true));
      // blank: no override (a time inside the hours needs none; outside, the refusal says so)
      const why = mWhy.wrap.hidden ? null : mWhy.control.value.trim() || null;
      if (bad || !t) return;
      save.disabled = true;
      void doMove(row, zonedToUtc(d, t, ctx.tz), len, mProv.control.value, why).then((refused) => {
        save.disabled = false;
        if (refused) {
          mErr.textContent = refused;
          mErr.hidden = false;
          if (lastRefusal === "conflict" || lastRefusal === "outside_availability") {
            const free = freeTimeOffers(ctx, { providerId: mProv.control.value, fromDate: d, minutes: len, ignoreId: a.id, asked: zonedToUtc(d, t, ctx.tz) }, "move-offer", (o) => {
              mDate.control.value = o.date;
              mTime.control.value = o.time;
              mErr.hidden = true;
              replace(mOffers);
              save.focus();
            });
            replace(mOffers, free.el);
          }
          if (lastRefusal === "outside_availability" && ctx.can("appointment_outside_hours") && mWhy.wrap.hidden) {
            mWhy.wrap.hidden = false;
            mErr.textContent = `${refused} To move it there anyway, say why below and press Move again.`;
            mWhy.control.focus();
          } else mTime.control.focus();
        } else m.close();
      });
    });
    mTime.control.focus();
    mTime.control.select();
  };

  /** A recurring visit: this and every later occurrence to another time of day, provider or length. */
  const openSeriesMove = (row: AppointmentRow) => {
    const a = row.appointment.record;
    const w = utcToZoned(a.starts_at, ctx.tz);
    const list = providers(ctx.staff());
    const sTime = field(timeInput(w.time), { id: "series-time", name: "time", label: "Time", required: true, hint: `Clinic time (${ctx.tz}), each on its own date` });
    const sProv = field(select(list.map((s) => [s.id, `${s.full_name} (${ROLE_LABEL[s.role]})`] as [string, string]), a.provider_id), { id: "series-provider", name: "provider_id", label: "Provider", required: true });
    const sLen = field(textInput({ value: String(a.duration_minutes), inputmode: "numeric" }), { id: "series-duration", name: "duration_minutes", label: "Length (minutes)", required: true });
    const sErr = h("div", { class: "banner banner-error", role: "alert", "data-testid": "series-move-error" });
    sErr.hidden = true;
    const save = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "series-move-save" }, "Change them");
    const keep = h("button", { type: "button", class: "btn" }, "Close");
    const form = h(
      "form",
      { class: "form-grid", novalidate: true, "data-testid": "series-move-form" },
      h("p", { class: "span-2" }, `${row.patient_name}: this visit (${formatLongDate(w.date)}) and every later one of the series. Each keeps its date; all are checked before any changes.`),
      sTime.wrap,
      sProv.wrap,
      sLen.wrap,
      h("div", { class: "span-2" }, sErr),
      h("div", { class: "form-actions span-2" }, save, keep),
    );
    const m = openModal({ title: "Change this and all following", testid: "series-move-dialog", content: form });
    keep.addEventListener("click", () => m.close());
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const pt = parseTime(sTime.control.value);
      const t = pt.ok ? pt.value : null;
      const len = /^\d+$/.test(sLen.control.value.trim()) ? Number(sLen.control.value.trim()) : NaN;
      sTime.setError(pt.ok ? null : pt.error);
      const lenErr = durationError(len);
      sLen.setError(lenErr);
      if (!t || lenErr !== null) return;
      (save as HTMLButtonElement).disabled = true;
      try {
        const n = await api.moveSeriesFrom(a.id, t, len, sProv.control.value);
        m.close();
        ctx.toast(`Changed ${n} visit${n === 1 ? "" : "s"} of ${row.patient_name}.`, "success");
        await load();
      } catch (raw) {
        sErr.textContent = `Not changed: ${(raw as CommandError).message}. Check the schedule before trying again.`;
        sErr.hidden = false;
      } finally {
        (save as HTMLButtonElement).disabled = false;
      }
    });
    sTime.control.focus();
  };

  const askCancelSeries = (row: AppointmentRow) => {
    const a = row.appointment.record;
    const why = field(textInput({ maxlength: 500 }), { id: "series-cancel-reason", name: "note", label: "Reason", required: true });
    const sErr = h("div", { class: "field-error", role: "alert", "data-testid": "series-cancel-error" });
    const go = h("button", { type: "submit", class: "btn btn-danger", "data-testid": "series-cancel-confirm" }, "Cancel them");
    const keep = h("button", { type: "button", class: "btn" }, "Keep them");
    const form = h("form", { class: "stack-form", novalidate: true }, h("p", null, `${row.patient_name}: this visit and every later one of the series will be cancelled.`), why.wrap, sErr, h("div", { class: "form-actions" }, go, keep));
    const m = openModal({ title: "Cancel this and all following", testid: "series-cancel-dialog", content: form });
    keep.addEventListener("click", () => m.close());
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!why.control.value.trim()) {
        why.setError("is required");
        why.control.focus();
        return;
      }
      (go as HTMLButtonElement).disabled = true;
      try {
        const n = await api.cancelSeriesFrom(a.id, why.control.value.trim());
        m.close();
        ctx.toast(`Cancelled ${n} visit${n === 1 ? "" : "s"} of ${row.patient_name}.`, "success");
        await load();
      } catch (raw) {
        sErr.textContent = (raw as CommandError).message;
      } finally {
        (go as HTMLButtonElement).disabled = false;
      }
    });
    why.control.focus();
  };

  const openActions = (row: AppointmentRow) => {
    const a = row.appointment.record;
    const buttons: HTMLButtonElement[] = [];
    const add = (label: string, testid: string, act: () => void, cls = "") => {
      const b = h("button", { type: "button", class: `btn ${cls}`, "data-testid": testid }, label);
      b.addEventListener("click", () => {
        m.close();
        act();
      });
      buttons.push(b);
    };
    add("Open chart", "grid-action-chart", () => ctx.open({ name: "chart", patientId: a.patient_id }));
    if (canWrite) {
      if (movable(row)) add("Move…", "grid-action-move", () => openMoveDialog(row));
      if (a.series_id && a.status === "scheduled") {
        add("Change this and all following…", "grid-action-series-move", () => openSeriesMove(row));
        add("Cancel this and all following…", "grid-action-series-cancel", () => askCancelSeries(row));
      }
      for (const x of ACTIONS) {
        if (x.to === a.status || !canBecome(a.status, x.to)) continue;
        add(x.label, `grid-action-${x.testid.replace("appt-", "")}`, () => (x.to === "cancelled" ? askCancel(row) : void setStatus(row, x.to, null)), x.primary ? "btn-primary" : x.to === "cancelled" ? "btn-quiet-danger" : "");
      }
    }
    const m = openModal({
      title: `${timeSpan(a.starts_at, a.duration_minutes, ctx.tz)} · ${row.patient_name || "Unknown patient"}`,
      testid: "grid-actions",
      content: [
        h("p", null, `${KIND_LABEL[a.kind]} with ${row.provider_name} · `, h("span", { class: `status status-${a.status}` }, STATUS_LABEL[a.status]), a.reason ? ` · ${a.reason}` : ""),
        h("div", { class: "form-actions grid-actions" }, buttons),
      ],
    });
    buttons[0]?.focus();
  };

  const columnsNow = (): GridColumn[] => {
    if (view === "week") {
      // weekend days are narrower unless someone works on them
      const busyDays = new Set(rows.map((r) => utcToZoned(r.appointment.record.starts_at, ctx.tz).date));
      return weekDates(date).map((d) => ({ date: d, providerId: provider, title: dayTitle(d) + (d === ctx.today() ? " (today)" : ""), narrow: isWeekend(d) && !busyDays.has(d) }));
    }
    const list = providers(ctx.staff()).filter((s) => !provider || s.id === provider);
    return list.map((s) => ({ date, providerId: s.id, title: s.full_name }));
  };

  let renderAfterDrag = false;
  const renderGridNow = () => {
    if (gridHost.querySelector(".sg-dragging")) {
      // a booking is being dragged: a new grid now would make its drop land nowhere; draw the
      // live change once it is dropped
      if (!renderAfterDrag) {
        renderAfterDrag = true;
        gridHost.addEventListener(
          "dragend",
          () => {
            renderAfterDrag = false;
            renderGridNow();
          },
          { once: true },
        );
      }
      return;
    }
    columns = columnsNow();
    const hours = shownHours(
      avail?.open ?? null,
      !!avail && (avail.clinic !== null || avail.providers.length > 0),
      columns.map((c) => c.date),
      ctx.tz,
    );
    let start = hours.start;
    let end = hours.end;
    for (const r of rows) {
      if (columnOf(r, columns, ctx.tz) < 0) continue;
      const a = r.appointment.record;
      const m = minutesOfDay(utcToZoned(a.starts_at, ctx.tz).time) ?? 0;
      start = Math.min(start, Math.floor(m / 60) * 60);
      end = Math.max(end, Math.min(1440, Math.ceil((m + a.duration_minutes) / 60) * 60));
    }
    if (selected && (selected.col >= columns.length || selected.minutes < start || selected.minutes >= end)) selected = null;
    const grid = renderGrid({
      columns,
      rows,
      tz: ctx.tz,
      startMinutes: start,
      endMinutes: end,
      showProvider: view === "week" && !provider,
      open: avail ? openTimeOf(avail.open) : null,
      blocks: avail?.blocks ?? [],
      visitTypes,
      canWrite,
      selected,
      moveError,
      onSelect: (s) => {
        selected = s;
        focusSlot = true;
        render();
      },
      onBookAt: (s) => {
        selected = s;
        const r = slotRoute(s);
        if (r) ctx.open(r);
      },
      onActions: openActions,
      onMoveDialog: openMoveDialog,
      onNudge: (row, minutes, days, colStep) => {
        const a = row.appointment.record;
        if (!movable(row)) {
          moveError = { id: a.id, text: `Not moved: only scheduled or checked-in bookings move; this one is ${STATUS_LABEL[a.status].toLowerCase()}.` };
          focusId = a.id;
          render();
          return;
        }
        // in the whole clinic's day, left and right go to the next provider's column
        const ci = columnOf(row, columns, ctx.tz);
        if (view === "day" && colStep !== 0 && columns.length > 1) {
          const target = columns[ci + colStep];
          if (target?.providerId) void doMove(row, a.starts_at, a.duration_minutes, target.providerId);
          return;
        }
        void doMove(row, shiftWallClock(a.starts_at, days, minutes, ctx.tz), a.duration_minutes, a.provider_id);
      },
      onDrop: (id, s) => {
        const row = rows.find((r) => r.appointment.record.id === id);
        const c = columns[s.col];
        if (!row || !c || !movable(row)) return;
        const a = row.appointment.record;
        void doMove(row, slotInstant(c, s.minutes, ctx.tz), a.duration_minutes, c.providerId ?? a.provider_id);
      },
    });
    // a live refresh must not take the focus away from the booking or slot being worked on
    const active = document.activeElement as HTMLElement | null;
    if (active && gridHost.contains(active)) {
      if (active.dataset.appointmentId) focusId ??= active.dataset.appointmentId;
      else if (active.classList.contains("sg-slot")) focusSlot = true;
    }
    const oldScroll = gridHost.querySelector(".sched-grid")?.scrollTop;
    replace(gridHost, grid);
    if (oldScroll !== undefined) grid.scrollTop = oldScroll;
    else {
      // first show: start at opening time or the first booking
      grid.scrollTop = Math.max(0, ((hours.start - start) / 15) * SLOT_PX - 8);
    }
    if (focusId) {
      const b = grid.querySelector<HTMLElement>(`[data-testid="grid-appt"][data-appointment-id="${focusId}"]`);
      if (b) {
        b.focus();
        focusId = null;
      }
    } else if (focusSlot) {
      (grid.querySelector<HTMLElement>(".sg-selected") ?? grid.querySelector<HTMLElement>('.sg-slot[tabindex="0"]'))?.focus();
      focusSlot = false;
    }
  };

  const render = () => {
    longDate.textContent =
      view === "week"
        ? `· week of ${formatLongDate(weekDates(date)[0] ?? date)}`
        : `· ${formatLongDate(date)}${date === ctx.today() ? " (today)" : ""}`;
    arrivalsTitle.textContent = `Arrivals · ${formatLongDate(date)}${date === ctx.today() ? " (today)" : ""}`;
    renderGridNow();
    const sorted = rows
      .filter((r) => utcToZoned(r.appointment.record.starts_at, ctx.tz).date === date)
      .sort((x, y) => Date.parse(x.appointment.record.starts_at) - Date.parse(y.appointment.record.starts_at));
    const by = (s: AppointmentStatus) => sorted.filter((r) => r.appointment.record.status === s).length;
    counts.textContent =
      sorted.length === 0
        ? ""
        : `${sorted.length} booked · ${by("checked_in")} checked in · ${by("in_progress")} in progress · ${by("completed")} completed · ${by("no_show")} no-show · ${by("cancelled")} cancelled`;
    replaceKeepingFocus(
      tbody,
      "data-appointment-id",
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
              h(
                "td",
                null,
                KIND_LABEL[a.kind],
                a.overbooked ? h("span", { class: "badge", title: "Booked over another booking on purpose" }, "overbooked") : null,
                a.outside_hours_reason ? h("span", { class: "badge badge-warn", "data-testid": "schedule-outside-hours", title: `Booked outside the hours: ${a.outside_hours_reason}` }, "outside hours") : null,
              ),
              h(
                "td",
                null,
                h("span", { class: `status status-${a.status}`, "data-testid": "schedule-status" }, STATUS_LABEL[a.status]),
                ...syncBadges(r.appointment),
                a.status === "checked_in" && a.checked_in_at ? h("div", { class: "muted small", "data-testid": "schedule-checkin-time" }, checkedInText(a.checked_in_at, ctx.tz)) : null,
              ),
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
      const days = view === "week" ? weekDates(date) : [date];
      const first = days[0] ?? date;
      const last = days[days.length - 1] ?? date;
      const [result, hours, types] = await Promise.all([api.appointmentsBetweenDates(first, last, provider), api.availability(first, last), api.visitTypes()]);
      if (my !== seq) return;
      rows = result;
      avail = hours;
      visitTypes = new Map(types.map((t) => [t.id, t]));
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
    focus: () => dayPicker.focus(),
    refresh: (entities) => {
      if (ctx.scheduleDate && ctx.scheduleDate !== date) {
        date = ctx.scheduleDate;
        dayPicker.value = showDate(date);
      }
      if (entities.includes("user")) fillProviders();
      if (entities.some((x) => x === "appointment" || x === "patient" || x === "user" || x === "availability" || x === "schedule_block" || x === "visit_type")) void load();
    },
    onKey: (e) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return false;
      if (e.altKey && !e.ctrlKey && e.key === "ArrowLeft") {
        go(addDays(date, -step()));
        return true;
      }
      if (e.altKey && !e.ctrlKey && e.key === "ArrowRight") {
        go(addDays(date, step()));
        return true;
      }
      const plain = !e.altKey && !e.ctrlKey && !e.metaKey;
      if (plain && canWrite && (e.key === "b" || e.key === "B")) {
        bookAtSelection();
        return true;
      }
      if (plain && canWrite && (e.key === "f" || e.key === "F")) {
        openSlotFinder(ctx, { providerId: provider, fromDate: date });
        return true;
      }
      if (plain && (e.key === "d" || e.key === "D")) {
        dayBtn.click();
        return true;
      }
      if (plain && (e.key === "w" || e.key === "W")) {
        weekBtn.click();
        return true;
      }
      if (plain && (e.key === "g" || e.key === "G")) {
        // to the grid: the selected slot, else the first booking, else the first slot
        const g = gridHost.querySelector<HTMLElement>(".sg-selected") ?? gridHost.querySelector<HTMLElement>('[data-testid="grid-appt"]') ?? gridHost.querySelector<HTMLElement>('.sg-slot[tabindex="0"]');
        g?.focus();
        return !!g;
      }
      return false;
    },
  };
}
