// Dates and times as the clinic writes them (its `date_order`, `hour_cycle` and `week_start`,
// chosen in Clinic settings), whatever the workstation's own locale. Every date or time a
// person sees or types goes through here; the wire, the cache and the arithmetic in tz.ts stay
// ISO 8601 (`YYYY-MM-DD`, `HH:MM` on a 24-hour clock, RFC 3339 instants).

import type { DateOrder } from "../bindings/DateOrder";
import type { HourCycle } from "../bindings/HourCycle";
import type { WeekStart } from "../bindings/WeekStart";
import { parseIsoDate, utcToZoned } from "./tz";

/** A clinic's date and time conventions (the three fields of `TenantInfo`). */
export interface DateConventions {
  date_order: DateOrder;
  hour_cycle: HourCycle;
  week_start: WeekStart;
}

/** ISO 8601: what a clinic gets until its admin chooses (and the server's default). */
export const ISO_CONVENTIONS: DateConventions = { date_order: "year_month_day", hour_cycle: "h23", week_start: "monday" };

let current: DateConventions = ISO_CONVENTIONS;

/** Makes `c` the conventions of every date shown or read from now on (set at sign-in). */
export function setConventions(c: DateConventions): void {
  current = { date_order: c.date_order, hour_cycle: c.hour_cycle, week_start: c.week_start };
}

/** The conventions in force. */
export function conventions(): DateConventions {
  return current;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** How a date is typed here, for placeholders and hints: `MM/DD/YYYY`, `DD/MM/YYYY` or `YYYY-MM-DD`. */
export function datePattern(c: DateConventions = current): string {
  switch (c.date_order) {
    case "month_day_year":
      return "MM/DD/YYYY";
    case "day_month_year":
      return "DD/MM/YYYY";
    default:
      return "YYYY-MM-DD";
  }
}

/** How a time is typed here: `h:mm AM/PM` or `HH:MM`. */
export function timePattern(c: DateConventions = current): string {
  return c.hour_cycle === "h12" ? "h:mm AM/PM" : "HH:MM";
}

/** A `YYYY-MM-DD` date in the clinic's order (`03/14/2024`, `14/03/2024`, `2024-03-14`); anything else unchanged. */
export function showDate(date: string, c: DateConventions = current): string {
  const d = parseIsoDate(date);
  if (!d) return date;
  const y = String(d.year).padStart(4, "0");
  switch (c.date_order) {
    case "month_day_year":
      return `${pad2(d.month)}/${pad2(d.day)}/${y}`;
    case "day_month_year":
      return `${pad2(d.day)}/${pad2(d.month)}/${y}`;
    default:
      return date;
  }
}

/** A 24-hour `HH:MM` on the clinic's clock (`2:30 PM` or `14:30`); anything else unchanged. */
export function showTime(time: string, c: DateConventions = current): string {
  const m = /^(\d{2}):(\d{2})$/.exec(time);
  if (!m) return time;
  if (c.hour_cycle !== "h12") return time;
  const h = Number(m[1]);
  return `${h % 12 === 0 ? 12 : h % 12}:${m[2]} ${h < 12 ? "AM" : "PM"}`;
}

/** An hour mark on a time axis (`HH:00`): `9 AM` on a 12-hour clock, `09:00` on a 24-hour one. */
export function showHour(time: string, c: DateConventions = current): string {
  return c.hour_cycle === "h12" ? showTime(time, c).replace(":00 ", " ") : time;
}

/** The clinic-zone time of day of an instant, on the clinic's clock. */
export function formatTime(instant: string | number | Date, timeZone: string, c: DateConventions = current): string {
  return showTime(utcToZoned(instant, timeZone).time, c);
}

/** The clinic-zone date and time of an instant, e.g. `03/14/2024 2:30 PM` or `2024-03-14 14:30`. */
export function formatDateTime(instant: string | number | Date, timeZone: string, c: DateConventions = current): string {
  const w = utcToZoned(instant, timeZone);
  return `${showDate(w.date, c)} ${showTime(w.time, c)}`;
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** The parts of a long date: weekday, day of month and month names (English, as the screens are). */
export function longDateParts(date: string): { weekday: string; day: number; month: string; year: number } | null {
  const d = parseIsoDate(date);
  if (!d) return null;
  const weekday = WEEKDAYS[new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay()] ?? "";
  return { weekday, day: d.day, month: MONTHS[d.month - 1] ?? "", year: d.year };
}

/** A `YYYY-MM-DD` date written out: "Thursday, March 14, 2024" (month first) or "Thursday 14 March 2024". */
export function formatLongDate(date: string, c: DateConventions = current): string {
  const p = longDateParts(date);
  if (!p) return date;
  return c.date_order === "month_day_year" ? `${p.weekday}, ${p.month} ${p.day}, ${p.year}` : `${p.weekday} ${p.day} ${p.month} ${p.year}`;
}

/** Day and short month, for chart axes and column heads: "Mar 14" (month first) or "14 Mar". */
export function formatDayMonth(date: string, c: DateConventions = current): string {
  const p = longDateParts(date);
  if (!p) return date;
  const mon = p.month.slice(0, 3);
  return c.date_order === "month_day_year" ? `${mon} ${p.day}` : `${p.day} ${mon}`;
}

/** Result of reading a typed date or time. */
export type Parsed = { ok: true; value: string } | { ok: false; error: string };

function iso(y: number, m: number, d: number): string | null {
  const s = `${String(y).padStart(4, "0")}-${pad2(m)}-${pad2(d)}`;
  return parseIsoDate(s) ? s : null;
}

/**
 * Reads a typed date in the clinic's order; answers `YYYY-MM-DD` or what is wrong.
 *
 * `YYYY-MM-DD` is read everywhere (a four-digit year first cannot be mistaken). A month-first
 * clinic reads `3/4/1990` (also with `-` or `.`) as March 4, a day-first clinic as 3 April.
 * An ISO clinic reads `03.04.1990` day first (as written in much of Europe) and a slashed date
 * only when day and month cannot be confused. Two-digit years are refused: a date of birth's
 * century cannot be guessed.
 */
export function parseDate(input: string, c: DateConventions = current): Parsed {
  const s = input.trim();
  const bad = { ok: false as const, error: "is not a real date" };
  if (s === "") return { ok: false, error: "is required" };
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (m) {
    const d = iso(Number(m[1]), Number(m[2]), Number(m[3]));
    return d ? { ok: true, value: d } : bad;
  }
  const shape = `must look like ${datePattern(c)}`;
  m = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{2,4})$/.exec(s);
  if (!m) return { ok: false, error: shape };
  if ((m[4] ?? "").length !== 4) return { ok: false, error: `needs the year in full (${datePattern(c)})` };
  const a = Number(m[1]);
  const b = Number(m[3]);
  const y = Number(m[4]);
  if (c.date_order === "month_day_year") {
    const d = iso(y, a, b);
    return d ? { ok: true, value: d } : bad;
  }
  if (c.date_order === "day_month_year" || m[2] === ".") {
    const d = iso(y, b, a);
    return d ? { ok: true, value: d } : bad;
  }
  if (m[2] === "-") return { ok: false, error: shape };
  const dayFirst = iso(y, b, a);
  const monthFirst = iso(y, a, b);
  if (a === b && dayFirst) return { ok: true, value: dayFirst };
  if (dayFirst && !monthFirst) return { ok: true, value: dayFirst };
  if (monthFirst && !dayFirst) return { ok: true, value: monthFirst };
  if (!dayFirst && !monthFirst) return bad;
  return { ok: false, error: "is ambiguous: type it as YYYY-MM-DD" };
}

/** The `YYYY-MM-DD` of a typed date, or "" when it cannot be read (for lookups that then find nothing). */
export function isoDateOf(input: string, c: DateConventions = current): string {
  const p = parseDate(input, c);
  return p.ok ? p.value : "";
}

/**
 * Reads a typed time of day; answers 24-hour `HH:MM` or what is wrong. Takes `9:30`, `09:30`,
 * `0930`, `14.05`, `9` and, on any clock, `9:30 pm`, `9pm`, `12 am` (midnight). On a 12-hour
 * clock an hour from 1 to 12 needs AM or PM (`2:30` could be either); `0:30` and `14:30` cannot
 * be mistaken and are read as typed.
 */
export function parseTime(input: string, c: DateConventions = current): Parsed {
  const s = input.trim().toLowerCase().replace(/\s+/g, " ");
  if (s === "") return { ok: false, error: "is required" };
  const shape = { ok: false as const, error: `must look like ${timePattern(c)}` };
  const m = /^(\d{1,4})(?:[:.h](\d{2}))? ?([ap])?\.? ?(m\.?)?$/.exec(s);
  if (!m || (m[4] && !m[3])) return shape;
  let h: number;
  let min: number;
  const digits = m[1] ?? "";
  if (m[2] !== undefined) {
    if (digits.length > 2) return shape;
    h = Number(digits);
    min = Number(m[2]);
  } else if (digits.length >= 3) {
    h = Number(digits.slice(0, digits.length - 2));
    min = Number(digits.slice(-2));
  } else {
    h = Number(digits);
    min = 0;
  }
  if (min > 59) return shape;
  const half = m[3];
  if (half) {
    if (h < 1 || h > 12) return { ok: false, error: "takes AM or PM only with an hour from 1 to 12" };
    h = (h % 12) + (half === "p" ? 12 : 0);
  } else {
    if (h > 23) return shape;
    if (c.hour_cycle === "h12" && h >= 1 && h <= 12) return { ok: false, error: "needs AM or PM" };
  }
  return { ok: true, value: `${pad2(h)}:${pad2(min)}` };
}

/** How a date and time are typed together here, e.g. `MM/DD/YYYY h:mm AM/PM`. */
export function dateTimePattern(c: DateConventions = current): string {
  return `${datePattern(c)} ${timePattern(c)}`;
}

/**
 * Reads a date and a time typed together (`03/14/2024 2:30 PM`, `2024-03-14 14:30`, an ISO
 * `T` between them too): the date as [`parseDate`], the rest as [`parseTime`]. Answers
 * `YYYY-MM-DD HH:MM` (clinic wall clock) or what is wrong, naming the part.
 */
export function parseDateTime(input: string, c: DateConventions = current): Parsed {
  const s = input.trim();
  if (s === "") return { ok: false, error: "is required" };
  const m = /^(\S+?)(?:\s+|T)(.+)$/.exec(s);
  if (!m) return { ok: false, error: `must look like ${dateTimePattern(c)}` };
  const d = parseDate(m[1] ?? "", c);
  if (!d.ok) return { ok: false, error: `has a date that ${d.error}` };
  const t = parseTime(m[2] ?? "", c);
  if (!t.ok) return { ok: false, error: `has a time that ${t.error}` };
  return { ok: true, value: `${d.value} ${t.value}` };
}

/** The 24-hour `HH:MM` of a typed time, or null when it cannot be read (see [`parseTime`]). */
export function parseTimeOfDay(input: string, c: DateConventions = current): string | null {
  const p = parseTime(input, c);
  return p.ok ? p.value : null;
}

/** Sunday = 0 … Saturday = 6, as `Date.getUTCDay`. */
const WEEK_START_DAY: Record<WeekStart, number> = { sunday: 0, monday: 1, saturday: 6 };

/** The first day (`YYYY-MM-DD`) of the clinic's week holding `date`. */
export function startOfWeek(date: string, c: DateConventions = current): string {
  const d = parseIsoDate(date);
  if (!d) throw new RangeError(`not a date: ${date}`);
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day));
  const back = (t.getUTCDay() - WEEK_START_DAY[c.week_start] + 7) % 7;
  t.setUTCDate(t.getUTCDate() - back);
  return t.toISOString().slice(0, 10);
}

/** The clinic's seven days of the week holding `date`, first day first. */
export function weekDates(date: string, c: DateConventions = current): string[] {
  const first = parseIsoDate(startOfWeek(date, c));
  if (!first) return [];
  return [0, 1, 2, 3, 4, 5, 6].map((i) => new Date(Date.UTC(first.year, first.month - 1, first.day + i)).toISOString().slice(0, 10));
}
