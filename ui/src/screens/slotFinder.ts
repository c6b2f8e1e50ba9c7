// "Find a free slot": provider or any provider, length, from which date, opening hours
// (remembered on this workstation). Lists the next free slots; Enter or a click on one opens
// the booking form filled in.

import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import { h, replace } from "../dom";
import { ROLE_LABEL } from "../lib/format";
import { checkHours, findFreeSlots, parseHours, type OpeningHours, type Slot } from "../lib/slots";
import { addDays, formatLongDate, parseIsoDate, parseTimeOfDay } from "../lib/tz";
import { durationError } from "../lib/workflow";
import type { Ctx } from "../ui/context";
import { field, select, textInput } from "../ui/forms";
import { openModal } from "../ui/modal";
import { providers } from "./schedule";

const HOURS_KEY = "medoffice.openingHours";
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** The opening hours remembered on this workstation (08:00–18:00 Monday–Friday by default). */
export function storedHours(): OpeningHours {
  try {
    return parseHours(localStorage.getItem(HOURS_KEY));
  } catch {
    return parseHours(null);
  }
}

function storeHours(hours: OpeningHours): void {
  try {
    localStorage.setItem(HOURS_KEY, JSON.stringify(hours));
  } catch {
    // storage may be unavailable; the hours still apply to this search
  }
}

/** Opens the finder; `providerId` preselects a provider (null: any provider). */
export function openSlotFinder(ctx: Ctx, o: { providerId: string | null; fromDate: string }): void {
  const list = providers(ctx.staff());
  const hours = storedHours();
  const provider = field(select([["", "Any provider"], ...list.map((s) => [s.id, `${s.full_name} (${ROLE_LABEL[s.role]})`] as [string, string])], o.providerId ?? ""), {
    id: "slot-provider",
    name: "provider",
    label: "Provider",
  });
  const length = field(textInput({ value: "15", inputmode: "numeric" }), { id: "slot-length", name: "minutes", label: "Length (minutes)", required: true });
  const from = field(h("input", { type: "date", value: o.fromDate < ctx.today() ? ctx.today() : o.fromDate }), { id: "slot-from", name: "from", label: "From date", required: true });
  const open = field(textInput({ value: hours.open, inputmode: "numeric" }), { id: "slot-open", name: "open", label: "Opens", hint: "Clinic time, 24-hour" });
  const close = field(textInput({ value: hours.close, inputmode: "numeric" }), { id: "slot-close", name: "close", label: "Closes" });
  const dayBoxes = WEEKDAYS.map((_d, i) => h("input", { type: "checkbox", id: `slot-day-${i}`, "data-testid": `slot-day-${i}`, checked: hours.days[i] ?? false }));
  const days = h(
    "fieldset",
    { class: "slot-days span-2" },
    h("legend", null, "Open days"),
    WEEKDAYS.map((d, i) => h("label", { class: "check", for: `slot-day-${i}` }, dayBoxes[i] ?? null, ` ${d}`)),
  );
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
    h("div", { class: "field slot-hours" }, open.wrap, close.wrap),
    days,
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
    for (const f of [length, from, open, close]) f.setError(null);
    const minutes = /^\d+$/.test(length.control.value.trim()) ? Number(length.control.value.trim()) : NaN;
    let bad = false;
    const lengthErr = durationError(minutes);
    if (lengthErr !== null) {
      length.setError(lengthErr);
      bad = true;
    }
    const fromDate = from.control.value;
    if (!parseIsoDate(fromDate)) {
      from.setError("must be a date");
      bad = true;
    }
    const h2: OpeningHours = {
      open: parseTimeOfDay(open.control.value) ?? open.control.value,
      close: parseTimeOfDay(close.control.value) ?? close.control.value,
      days: dayBoxes.map((b) => b.checked),
    };
    const hoursError = checkHours(h2);
    if (hoursError) {
      err.textContent = hoursError;
      bad = true;
    }
    if (bad) return;
    open.control.value = h2.open;
    close.control.value = h2.close;
    storeHours(h2);
    const who = provider.control.value || null;
    const ids = who ? [who] : list.map((s) => s.id);
    const days = 28;
    try {
      const rows = await api.appointmentsBetweenDates(fromDate, addDays(fromDate, days - 1), who);
      const busy = rows
        // only a refused new booking (never on the server) holds no time; a server booking
        // whose later change was refused still does
        .filter((r) => !(r.appointment.rejected && r.appointment.record.revision === 0))
        .map((r) => ({
          provider_id: r.appointment.record.provider_id,
          starts_at: r.appointment.record.starts_at,
          duration_minutes: r.appointment.record.duration_minutes,
          status: r.appointment.record.status,
        }));
      const found = findFreeSlots({ providers: ids, minutes, fromDate, hours: h2, tz: ctx.tz, notBeforeMs: Date.now(), days, limit: 12 }, busy);
      const name = (id: string) => list.find((s) => s.id === id)?.full_name ?? "";
      replace(
        results,
        found.length === 0
          ? h("li", { class: "muted", "data-testid": "slot-none" }, `No free ${minutes}-minute slot in the ${days} days from ${formatLongDate(fromDate)} within these hours.`)
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
                  h("strong", null, `${formatLongDate(s.date)} ${s.time}`),
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
