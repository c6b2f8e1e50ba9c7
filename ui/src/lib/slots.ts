// Free-slot finding and the arithmetic of the schedule grid, in the clinic's time zone.
// Pure functions (no DOM, no clock of their own): the caller passes "now" and the bookings.

import type { AppointmentStatus } from "../bindings/AppointmentStatus";
import { addDays, parseIsoDate, utcToZoned, zonedToUtc } from "./tz";
import { holdsTime } from "./workflow";

/** What the slot finder needs of a booking. `starts_at`: RFC 3339 instant; minutes. */
export interface BusyBooking {
  provider_id: string;
  starts_at: string;
  duration_minutes: number;
  status: AppointmentStatus;
}

/**
 * The clinic's opening hours: `open`/`close` as `HH:MM` clinic wall-clock time, and the open
 * weekdays, index 0 = Monday … 6 = Sunday.
 */
export interface OpeningHours {
  open: string;
  close: string;
  days: boolean[];
}

/** 08:00–18:00, Monday to Friday. */
export const DEFAULT_HOURS: OpeningHours = { open: "08:00", close: "18:00", days: [true, true, true, true, true, false, false] };

/** A free slot: provider, clinic-local date and time, and its instant (RFC 3339, `Z`). */
export interface Slot {
  provider_id: string;
  date: string;
  time: string;
  starts_at: string;
}

/** What to look for. `minutes`: a bookable length (`durationError`); `step`: grid in minutes (15). */
export interface SlotQuery {
  providers: string[];
  minutes: number;
  fromDate: string;
  hours: OpeningHours;
  tz: string;
  /** No slot starts before this instant (ms since the epoch), usually now. */
  notBeforeMs: number;
  step?: number;
  limit?: number;
  /** How many days to look ahead from `fromDate` (default 28). */
  days?: number;
}

/** Minutes since midnight of `HH:MM`, or null. */
export function minutesOfDay(time: string): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(time);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 24 || min > 59 || (h === 24 && min > 0)) return null;
  return h * 60 + min;
}

/** `HH:MM` of minutes since midnight (0–1439). */
export function timeOfMinutes(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/** Weekday of a `YYYY-MM-DD` date, 0 = Monday … 6 = Sunday. */
export function weekdayMon0(date: string): number {
  const d = parseIsoDate(date);
  if (!d) throw new RangeError(`not a date: ${date}`);
  return (new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay() + 6) % 7;
}

/** The Monday of the week of `date` (weeks run Monday to Sunday). */
export function weekStart(date: string): string {
  return addDays(date, -weekdayMon0(date));
}

/** The seven dates Monday … Sunday of the week of `date`. */
export function weekDates(date: string): string[] {
  const mon = weekStart(date);
  return [0, 1, 2, 3, 4, 5, 6].map((i) => addDays(mon, i));
}

/** Errors in opening hours, in words, or null when they are usable. */
export function checkHours(h: OpeningHours): string | null {
  const o = minutesOfDay(h.open);
  const c = minutesOfDay(h.close);
  if (o === null) return "Opening time must be a time like 08:00.";
  if (c === null) return "Closing time must be a time like 18:00.";
  if (c <= o) return "Closing time must be after opening time.";
  if (h.days.length !== 7 || !h.days.some(Boolean)) return "Choose at least one open day.";
  return null;
}

/** Opening hours read back from storage (JSON), or the defaults when missing or unusable. */
export function parseHours(stored: string | null): OpeningHours {
  if (!stored) return { ...DEFAULT_HOURS, days: [...DEFAULT_HOURS.days] };
  try {
    const v = JSON.parse(stored) as Partial<OpeningHours>;
    const h: OpeningHours = {
      open: typeof v.open === "string" ? v.open : DEFAULT_HOURS.open,
      close: typeof v.close === "string" ? v.close : DEFAULT_HOURS.close,
      days: Array.isArray(v.days) && v.days.length === 7 ? v.days.map(Boolean) : [...DEFAULT_HOURS.days],
    };
    return checkHours(h) ? { ...DEFAULT_HOURS, days: [...DEFAULT_HOURS.days] } : h;
  } catch {
    return { ...DEFAULT_HOURS, days: [...DEFAULT_HOURS.days] };
  }
}

/**
 * True when `[startMs, endMs)` overlaps a booking of `provider` that holds its time
 * (`holdsTime`, the model's `is_live`: completed, cancelled and no-show bookings free it).
 */
export function isBusy(bookings: readonly BusyBooking[], provider: string, startMs: number, endMs: number): boolean {
  return bookings.some((b) => {
    if (b.provider_id !== provider || !holdsTime(b.status)) return false;
    const s = Date.parse(b.starts_at);
    return s < endMs && startMs < s + b.duration_minutes * 60_000;
  });
}

/**
 * The next free slots, earliest first (then by the order of `providers`): every `step`
 * minutes of clinic wall-clock time from opening until `minutes` before closing, on open
 * days, from `fromDate` on, not before `notBeforeMs`, where the provider has no booking
 * that holds its time. On a daylight-saving day, wall-clock times that do not exist (the
 * spring gap) are skipped and lengths are real minutes.
 */
export function findFreeSlots(q: SlotQuery, bookings: readonly BusyBooking[]): Slot[] {
  const step = q.step ?? 15;
  const limit = q.limit ?? 12;
  const days = q.days ?? 28;
  const open = minutesOfDay(q.hours.open);
  const close = minutesOfDay(q.hours.close);
  if (open === null || close === null || close <= open || q.minutes <= 0 || !parseIsoDate(q.fromDate)) return [];
  const out: Slot[] = [];
  for (let i = 0; i < days && out.length < limit; i++) {
    const date = addDays(q.fromDate, i);
    if (!q.hours.days[weekdayMon0(date)]) continue;
    const closeMs = Date.parse(close === 1440 ? zonedToUtc(addDays(date, 1), "00:00", q.tz) : zonedToUtc(date, timeOfMinutes(close), q.tz));
    for (let t = Math.ceil(open / step) * step; t < close && out.length < limit; t += step) {
      const time = timeOfMinutes(t);
      const startsAt = zonedToUtc(date, time, q.tz);
      // a time the clock skips (spring forward) is not a slot
      if (utcToZoned(startsAt, q.tz).time !== time) continue;
      const startMs = Date.parse(startsAt);
      const endMs = startMs + q.minutes * 60_000;
      if (startMs < q.notBeforeMs || endMs > closeMs) continue;
      for (const p of q.providers) {
        if (out.length >= limit) break;
        if (!isBusy(bookings, p, startMs, endMs)) out.push({ provider_id: p, date, time, starts_at: startsAt });
      }
    }
  }
  return out;
}

/**
 * The same wall-clock time `days` later (or earlier) and `minutes` later, as an instant:
 * moving a 09:00 visit by a day keeps it at 09:00 across a daylight-saving change.
 */
export function shiftWallClock(startsAt: string, days: number, minutes: number, tz: string): string {
  const w = utcToZoned(startsAt, tz);
  const m = minutesOfDay(w.time) ?? 0;
  let total = m + minutes;
  let date = addDays(w.date, days);
  while (total < 0) {
    total += 1440;
    date = addDays(date, -1);
  }
  while (total >= 1440) {
    total -= 1440;
    date = addDays(date, 1);
  }
  return zonedToUtc(date, timeOfMinutes(total), tz);
}

/** A booking placed in a day column: its lane among overlapping ones and how many lanes. */
export interface Placed<T> {
  item: T;
  lane: number;
  lanes: number;
}

/**
 * Side-by-side lanes for overlapping bookings of one column (e.g. an overbooking, or a
 * cancelled visit under its replacement): each booking gets the first free lane; a group of
 * bookings that overlap one another shares the lane count.
 */
export function layoutLanes<T>(items: readonly T[], startMs: (t: T) => number, endMs: (t: T) => number): Placed<T>[] {
  const sorted = [...items].sort((a, b) => startMs(a) - startMs(b) || endMs(b) - endMs(a));
  const out: Placed<T>[] = [];
  let group: Placed<T>[] = [];
  let laneEnds: number[] = [];
  let groupEnd = -Infinity;
  const flush = () => {
    for (const p of group) p.lanes = laneEnds.length;
    group = [];
    laneEnds = [];
  };
  for (const it of sorted) {
    const s = startMs(it);
    if (s >= groupEnd) {
      flush();
      groupEnd = -Infinity;
    }
    let lane = laneEnds.findIndex((e) => e <= s);
    if (lane < 0) {
      lane = laneEnds.length;
      laneEnds.push(0);
    }
    laneEnds[lane] = endMs(it);
    groupEnd = Math.max(groupEnd, endMs(it));
    const p = { item: it, lane, lanes: 1 };
    group.push(p);
    out.push(p);
  }
  flush();
  return out;
}
