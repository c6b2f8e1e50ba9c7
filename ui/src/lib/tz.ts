// Wall-clock dates and times in the clinic's IANA time zone, with Intl only (no tz database
// of our own). The clinic's zone, not the workstation's, decides what "today" and "09:30" mean.

/** A calendar date and a 24-hour time of day, as typed: `YYYY-MM-DD`, `HH:MM`. */
export interface WallClock {
  date: string;
  time: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function partsAt(epochMs: number, timeZone: string): Parts {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(epochMs))) {
    if (p.type !== "literal") out[p.type] = Number(p.value);
  }
  return {
    year: out.year ?? 1970,
    month: out.month ?? 1,
    day: out.day ?? 1,
    // Some engines print midnight as 24 even with h23.
    hour: (out.hour ?? 0) % 24,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

/** The zone's offset from UTC at an instant, in milliseconds (New York in winter: -5 h). */
export function zoneOffsetMs(epochMs: number, timeZone: string): number {
  const p = partsAt(epochMs, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const wholeSeconds = Math.floor(epochMs / 1000) * 1000;
  return asUtc - wholeSeconds;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2})$/;

/** Splits `YYYY-MM-DD` into numbers, or null when it is not a real calendar date. */
export function parseIsoDate(s: string): { year: number; month: number; day: number } | null {
  const m = DATE_RE.exec(s);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return null;
  if (day > daysInMonth(year, month)) return null;
  return { year, month, day };
}

/** Days in a month (month 1–12). */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * The UTC instant (RFC 3339, `...Z`) of a wall-clock date and time in `timeZone`.
 *
 * Follows the usual ("compatible") rule at daylight-saving changes: a time that happens
 * twice (the autumn hour) means the first of the two; a time skipped in spring is moved
 * forward by the gap (02:30 on the New York spring-forward day is 03:30 EDT).
 */
export function zonedToUtc(date: string, time: string, timeZone: string): string {
  const d = parseIsoDate(date);
  const t = TIME_RE.exec(time);
  if (!d) throw new RangeError(`not a date: ${date}`);
  if (!t) throw new RangeError(`not a time: ${time}`);
  const hour = Number(t[1]);
  const minute = Number(t[2]);
  if (hour > 23 || minute > 59) throw new RangeError(`not a time: ${time}`);
  const wall = Date.UTC(d.year, d.month - 1, d.day, hour, minute);
  const day = 24 * 3600 * 1000;
  const before = zoneOffsetMs(wall - day, timeZone);
  const after = zoneOffsetMs(wall + day, timeZone);
  const candidates = [wall - before, wall - after].filter(
    (instant, i) => zoneOffsetMs(instant, timeZone) === (i === 0 ? before : after),
  );
  const instant = candidates.length > 0 ? Math.min(...candidates) : wall - before;
  return new Date(instant).toISOString().replace(".000Z", "Z");
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** The wall-clock date and time of an instant in `timeZone`. */
export function utcToZoned(instant: string | number | Date, timeZone: string): WallClock {
  const ms = instant instanceof Date ? instant.getTime() : typeof instant === "number" ? instant : Date.parse(instant);
  const p = partsAt(ms, timeZone);
  return {
    date: `${String(p.year).padStart(4, "0")}-${pad2(p.month)}-${pad2(p.day)}`,
    time: `${pad2(p.hour)}:${pad2(p.minute)}`,
  };
}

/** The date `days` after (or before) a `YYYY-MM-DD` date. */
export function addDays(date: string, days: number): string {
  const d = parseIsoDate(date);
  if (!d) throw new RangeError(`not a date: ${date}`);
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return t.toISOString().slice(0, 10);
}
