// Opening and working hours as staff type them: one line per weekday, "08:00–12:00, 13:00–17:00",
// blank for closed. The server validates again (`AvailabilityUpdate::validate`); this only turns
// text into stretches and says which day is wrong.

import type { AvailableTime } from "../bindings/AvailableTime";
import type { DayOfWeek } from "../bindings/DayOfWeek";
import { conventions, parseTimeOfDay, showTime } from "./locale";

/** Monday first, with the names shown. */
export const WEEK: readonly { day: DayOfWeek; name: string }[] = [
  { day: "mon", name: "Monday" },
  { day: "tue", name: "Tuesday" },
  { day: "wed", name: "Wednesday" },
  { day: "thu", name: "Thursday" },
  { day: "fri", name: "Friday" },
  { day: "sat", name: "Saturday" },
  { day: "sun", name: "Sunday" },
];

/** The week in the clinic's order: from its first day (Clinic settings → Weeks start on). */
export function weekInClinicOrder(): readonly { day: DayOfWeek; name: string }[] {
  const first = { monday: 0, sunday: 6, saturday: 5 }[conventions().week_start];
  return [...WEEK.slice(first), ...WEEK.slice(0, first)];
}

/** A time of a stretch as shown; its end may be `24:00`, the end of the day (midnight on a 12-hour clock). */
function shown(t: string): string {
  return t === "24:00" ? (conventions().hour_cycle === "h12" ? "12:00 AM" : "24:00") : showTime(t);
}

/** A day's stretches as shown: "08:00–12:00, 13:00–17:00" (or "8:00 AM–12:00 PM"), or "" when closed. */
export function formatStretches(times: readonly AvailableTime[], day: DayOfWeek): string {
  return times
    .filter((t) => t.day_of_week === day)
    .sort((a, b) => a.start.localeCompare(b.start))
    .map((t) => `${shown(t.start)}–${shown(t.end)}`)
    .join(", ");
}

function time(s: string): string | null {
  const t = s.trim();
  if (/^24(:?00)?$/.test(t)) return "24:00";
  return parseTimeOfDay(t);
}

/**
 * A day's typed stretches: comma-separated `start–end` (a hyphen, en dash or "to"), times as
 * the rest of the app takes them (`9`, `0930`, `9:30`). Blank: closed. An error says what is
 * wrong in words.
 */
export function parseStretches(text: string, day: DayOfWeek): { times: AvailableTime[] } | { error: string } {
  const out: AvailableTime[] = [];
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^(.+?)\s*(?:–|—|-|to)\s*(.+)$/.exec(part);
    const start = m ? time(m[1] ?? "") : null;
    const typedEnd = m ? time(m[2] ?? "") : null;
    // an end at midnight is the end of the day ("5 PM–12 AM")
    const end = typedEnd === "00:00" ? "24:00" : typedEnd;
    if (!m || !start || !end) return { error: `"${part}" is not a stretch like ${shown("08:00")}–${shown("12:00")}` };
    if (end <= start) return { error: `${shown(start)}–${shown(end)}: the end must be after the start` };
    out.push({ day_of_week: day, start, end });
  }
  out.sort((a, b) => a.start.localeCompare(b.start));
  for (let i = 1; i < out.length; i++) {
    const prev = out[i - 1];
    const cur = out[i];
    if (prev && cur && cur.start < prev.end) return { error: `${shown(prev.start)}–${shown(prev.end)} and ${shown(cur.start)}–${shown(cur.end)} overlap` };
  }
  return { times: out };
}
