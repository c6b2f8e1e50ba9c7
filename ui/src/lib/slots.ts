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

/** A bookable stretch, ms since the epoch, `[startMs, endMs)`. */
export interface OpenSpan {
  startMs: number;
  endMs: number;
}

/** Bookable time by provider id, from the core's `availability` (its `open` intervals). */
export type OpenTime = Readonly<Record<string, readonly OpenSpan[]>>;

/** The core's bookable intervals as spans by provider. */
export function openTimeOf(open: readonly { provider_id: string; intervals: readonly { starts_at: string; ends_at: string }[] }[]): OpenTime {
  const out: Record<string, OpenSpan[]> = {};
  for (const p of open) out[p.provider_id] = p.intervals.map((i) => ({ startMs: Date.parse(i.starts_at), endMs: Date.parse(i.ends_at) }));
  return out;
}

/**
 * The stretch of the day the grid shows for `dates` (clinic-local, `YYYY-MM-DD`): from the
 * earliest opening to the latest closing of anyone's bookable time on those days, in whole
 * hours; 08:00–18:00 when nobody's hours are set (any time bookable) or nobody works then.
 */
export function shownHours(
  open: readonly { provider_id: string; intervals: readonly { starts_at: string; ends_at: string }[] }[] | null,
  hoursSet: boolean,
  dates: readonly string[],
  tz: string,
): { start: number; end: number } {
  let start = Infinity;
  let end = -Infinity;
  if (open && hoursSet) {
    for (const p of open) {
      for (const i of p.intervals) {
        const s = utcToZoned(i.starts_at, tz);
        if (!dates.includes(s.date)) continue;
        const e = utcToZoned(i.ends_at, tz);
        start = Math.min(start, minutesOfDay(s.time) ?? 0);
        end = Math.max(end, e.date === s.date ? (minutesOfDay(e.time) ?? 1440) : 1440);
      }
    }
  }
  if (!Number.isFinite(start) || !Number.isFinite(end)) return { start: 480, end: 1080 };
  return { start: Math.floor(start / 60) * 60, end: Math.min(1440, Math.ceil(end / 60) * 60) };
}

/** True when `[startMs, endMs)` lies inside one of `spans`. */
export function fitsOpen(spans: readonly OpenSpan[], startMs: number, endMs: number): boolean {
  return spans.some((s) => s.startMs <= startMs && endMs <= s.endMs);
}

/** A free slot: provider, clinic-local date and time, and its instant (RFC 3339, `Z`). */
export interface Slot {
  provider_id: string;
  date: string;
  time: string;
  starts_at: string;
}

/**
 * What to look for. `minutes`: a bookable length (`durationError`); `step`: grid in minutes
 * (15); `open`: each provider's bookable time (the clinic's hours meeting theirs, less blocks:
 * `openTimeOf` of the core's `availability`); a provider without an entry has none.
 */
export interface SlotQuery {
  providers: string[];
  minutes: number;
  fromDate: string;
  open: OpenTime;
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
 * minutes of clinic wall-clock time, from `fromDate` on, not before `notBeforeMs`, where the
 * whole visit lies inside the provider's bookable time (`open`) and overlaps no booking of
 * theirs that holds its time. On a daylight-saving day, wall-clock times that do not exist
 * (the spring gap) are skipped and lengths are real minutes.
 */
export function findFreeSlots(q: SlotQuery, bookings: readonly BusyBooking[]): Slot[] {
  const step = q.step ?? 15;
  const limit = q.limit ?? 12;
  const days = q.days ?? 28;
  if (q.minutes <= 0 || !parseIsoDate(q.fromDate)) return [];
  const out: Slot[] = [];
  for (let i = 0; i < days && out.length < limit; i++) {
    const date = addDays(q.fromDate, i);
    for (let t = 0; t < 1440 && out.length < limit; t += step) {
      const time = timeOfMinutes(t);
      const startsAt = zonedToUtc(date, time, q.tz);
      // a time the clock skips (spring forward) is not a slot
      if (utcToZoned(startsAt, q.tz).time !== time) continue;
      const startMs = Date.parse(startsAt);
      const endMs = startMs + q.minutes * 60_000;
      if (startMs < q.notBeforeMs) continue;
      for (const p of q.providers) {
        if (out.length >= limit) break;
        if (fitsOpen(q.open[p] ?? [], startMs, endMs) && !isBusy(bookings, p, startMs, endMs)) out.push({ provider_id: p, date, time, starts_at: startsAt });
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
