// "Find a free slot": provider or any provider, length, from which date. Lists the next free
// slots inside the clinic's opening hours and each provider's working hours, less blocks (the
// clinic's own, synced to this workstation); Enter or a click on one opens the booking form
// filled in.

import { nowMs } from "../lib/clock";
import { api } from "../api";
import type { AvailabilityView } from "../bindings/AvailabilityView";
import type { CommandError } from "../bindings/CommandError";
import { h, replace } from "../dom";
import { ROLE_LABEL } from "../lib/format";
import { findFreeSlots, openTimeOf, type Slot } from "../lib/slots";
import { addDays } from "../lib/tz";
import { formatLongDate, parseDate, showTime } from "../lib/locale";
import { durationError } from "../lib/workflow";
import type { Ctx } from "../ui/context";
import { dateInput, field, select, textInput } from "../ui/forms";
import { openModal } from "../ui/modal";
import { providers } from "./schedule";

/**
 * The next free slots of `providerIds` for a visit of `minutes`, from `fromDate` (not before
 * now), inside the hours and clear of bookings, and the availability they were found in.
 */
async function freeSlots(
  ctx: Ctx,
  providerIds: string[],
  fromDate: string,
  minutes: number,
  limit: number,
  days: number,
  ignoreId: string | null = null,
  notBeforeMs: number = nowMs(),
): Promise<{ slots: Slot[]; view: AvailabilityView }> {
  const to = addDays(fromDate, days - 1);
  const [rows, view] = await Promise.all([api.appointmentsBetweenDates(fromDate, to, providerIds.length === 1 ? (providerIds[0] ?? null) : null), api.availability(fromDate, to)]);
  const busy = rows
    // only a refused new booking (never on the server) holds no time; a server booking whose
    // later change was refused still does
    .filter((r) => !(r.appointment.rejected && r.appointment.record.revision === 0))
    // a booking being moved does not stand in its own way
    .filter((r) => r.appointment.record.id !== ignoreId)
    .map((r) => ({
      provider_id: r.appointment.record.provider_id,
      starts_at: r.appointment.record.starts_at,
      duration_minutes: r.appointment.record.duration_minutes,
      status: r.appointment.record.status,
    }));
  const slots = findFreeSlots({ providers: providerIds, minutes, fromDate, open: openTimeOf(view.open), tz: ctx.tz, notBeforeMs: Math.max(notBeforeMs, nowMs()), days, limit }, busy);
  return { slots, view };
}

/** What to offer free times for: one provider, a visit of `minutes`, from `fromDate`. */
export interface OfferFor {
  providerId: string;
  fromDate: string;
  minutes: number;
  /** The booking being moved or rebooked, whose own time is not in its way. */
  ignoreId?: string;
  /** The time that was asked for (UTC): offers start there, the next free times after it,
   * not at the day's first open minute (midnight, in a clinic without hours). */
  asked?: string;
}

/**
 * "Next free times: [Mon 7 Dec 09:30] …", offered instead of a clash, a time outside the hours,
 * a refused move or a refused booking in Review: the provider's next three free times of that
 * length within four weeks, from `fromDate` (never before today). A click hands the slot to
 * `pick`. Filled in when the schedule has been read; `ready` settles then (a failed read leaves
 * it empty: the refusal's own words still say what to do).
 */
export function freeTimeOffers(ctx: Ctx, o: OfferFor, testid: string, pick: (s: Slot) => void): { el: HTMLElement; ready: Promise<Slot[]> } {
  const el = h("div", { class: "offer-list", "data-testid": `${testid}s`, "aria-live": "polite" });
  const from = o.fromDate < ctx.today() ? ctx.today() : o.fromDate;
  const asked = o.asked ? Date.parse(o.asked) : NaN;
  const ready = freeSlots(ctx, [o.providerId], from, o.minutes, 3, 28, o.ignoreId ?? null, Number.isNaN(asked) ? nowMs() : asked)
    .then(({ slots }) => {
      if (slots.length === 0) replace(el, `No free time of ${o.minutes} minutes with ${ctx.staffName(o.providerId)} in the four weeks from ${formatLongDate(from)}.`);
      else
        replace(
          el,
          `Next free times with ${ctx.staffName(o.providerId)}: `,
          slots.map((s) => h("button", { type: "button", class: "btn btn-small", "data-testid": testid, onclick: () => pick(s) }, `${formatLongDate(s.date)} ${showTime(s.time)}`)),
        );
      return slots;
    })
    .catch(() => [] as Slot[]);
  return { el, ready };
}

/** Opens the finder; `providerId` preselects a provider (null: any provider). */
export function openSlotFinder(ctx: Ctx, o: { providerId: string | null; fromDate: string }): void {
  const list = providers(ctx.staff());
  const provider = field(select([["", "Any provider"], ...list.map((s) => [s.id, `${s.full_name} (${ROLE_LABEL[s.role]})`] as [string, string])], o.providerId ?? ""), {
    id: "slot-provider",
    name: "provider",
    label: "Provider",
  });
  const length = field(textInput({ value: "15", inputmode: "numeric" }), { id: "slot-length", name: "minutes", label: "Length (minutes)", required: true });
  const from = field(dateInput(o.fromDate < ctx.today() ? ctx.today() : o.fromDate), { id: "slot-from", name: "from", label: "From date", required: true });
  const err = h("div", { class: "field-error", "data-testid": "slot-error", role: "alert" });
  const results = h("ul", { class: "slot-results", "data-testid": "slot-results", "aria-label": "Free slots" });
  const find = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "slot-find" }, "Find free slots");
  const closeBtn = h("button", { type: "button", class: "btn", "data-testid": "slot-close-dialog" }, "Close");
  const form = h(
    "form",
    { class: "form-grid slot-form", novalidate: true, "data-testid": "slot-form" },
    provider.wrap,
    length.wrap,
    from.wrap,
    h("p", { class: "muted span-2", "data-testid": "slot-hours-note" }, "Only times inside the clinic's opening hours and the provider's working hours are offered."),
    h("div", { class: "form-actions span-2" }, find, closeBtn),
    h("div", { class: "span-2" }, err),
  );
  const m = openModal({ title: "Find a free slot", testid: "slot-finder", wide: true, content: [form, results] });
  closeBtn.addEventListener("click", () => m.close());

  const choose = (s: Slot, minutes: number) => {
    m.close();
    ctx.open({ name: "book", providerId: s.provider_id, date: s.date, time: s.time, duration: minutes });
  };

  const run = async () => {
    err.textContent = "";
    for (const f of [length, from]) f.setError(null);
    const minutes = /^\d+$/.test(length.control.value.trim()) ? Number(length.control.value.trim()) : NaN;
    let bad = false;
    const lengthErr = durationError(minutes);
    if (lengthErr !== null) {
      length.setError(lengthErr);
      bad = true;
    }
    const pf = parseDate(from.control.value);
    const fromDate = pf.ok ? pf.value : "";
    if (!pf.ok) {
      from.setError(pf.error);
      bad = true;
    }
    if (bad) return;
    const who = provider.control.value || null;
    const ids = who ? [who] : list.map((s) => s.id);
    const days = 28;
    try {
      const { slots: found, view } = await freeSlots(ctx, ids, fromDate, minutes, 12, days);
      const note = form.querySelector('[data-testid="slot-hours-note"]');
      if (note)
        note.textContent =
          view.clinic || view.providers.length > 0
            ? "Only times inside the clinic's opening hours and the provider's working hours are offered; closed dates and blocks are left out."
            : "This clinic has no opening hours set, so any time of day is offered. An administrator sets them under Administration → Opening hours.";
      const name = (id: string) => list.find((s) => s.id === id)?.full_name ?? "";
      replace(
        results,
        found.length === 0
          ? h("li", { class: "muted", "data-testid": "slot-none" }, `No free ${minutes}-minute slot in the ${days} days from ${formatLongDate(fromDate)} within the hours.`)
          : found.map((s) =>
              h(
                "li",
                null,
                h(
                  "button",
                  {
                    type: "button",
                    class: "slot-result",
                    "data-testid": "slot-result",
                    "data-date": s.date,
                    "data-time": s.time,
                    "data-provider-id": s.provider_id,
                    onclick: () => choose(s, minutes),
                  },
                  h("strong", null, `${formatLongDate(s.date)} ${showTime(s.time)}`),
                  ` · ${minutes} min · ${name(s.provider_id)}`,
                ),
              ),
            ),
      );
      results.querySelector<HTMLButtonElement>("button")?.focus();
    } catch (e) {
      err.textContent = `Could not read the schedule: ${(e as CommandError).message}`;
    }
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void run();
  });
  results.addEventListener("keydown", (e) => {
    const buttons = [...results.querySelectorAll<HTMLButtonElement>("button")];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === "ArrowDown" && i >= 0) {
      e.preventDefault();
      buttons[Math.min(i + 1, buttons.length - 1)]?.focus();
    } else if (e.key === "ArrowUp" && i >= 0) {
      e.preventDefault();
      buttons[Math.max(i - 1, 0)]?.focus();
    }
  });
  length.control.focus();
  length.control.select();
}
