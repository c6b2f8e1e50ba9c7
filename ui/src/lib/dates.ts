// Calendar dates as the clinic reads them: ages and dates of birth as receptionists type them.

import type { AgeAt } from "../bindings/AgeAt";
import { parseDate, showDate } from "./locale";
import { parseIsoDate } from "./tz";

/** Whole years of age on `on` (both `YYYY-MM-DD`); mirrors `age_on` in the model crate. */
export function ageInYears(dateOfBirth: string, on: string): number | null {
  const b = parseIsoDate(dateOfBirth);
  const t = parseIsoDate(on);
  if (!b || !t) return null;
  let years = t.year - b.year;
  if (t.month < b.month || (t.month === b.month && t.day < b.day)) years -= 1;
  return years;
}

/**
 * Age on `on` (both `YYYY-MM-DD`) in whole years and in days since birth; mirrors
 * `AgeAt::on` in the model crate (children's bands change on birthdays, a neonate's on day 29).
 */
export function ageAt(dateOfBirth: string, on: string): AgeAt | null {
  const b = parseIsoDate(dateOfBirth);
  const t = parseIsoDate(on);
  const years = ageInYears(dateOfBirth, on);
  if (!b || !t || years === null) return null;
  const days = Math.round((Date.UTC(t.year, t.month - 1, t.day) - Date.UTC(b.year, b.month - 1, b.day)) / 86_400_000);
  return { years, days };
}

/** Whole months of age on `on`. */
export function ageInMonths(dateOfBirth: string, on: string): number | null {
  const b = parseIsoDate(dateOfBirth);
  const t = parseIsoDate(on);
  if (!b || !t) return null;
  let months = (t.year - b.year) * 12 + (t.month - b.month);
  if (t.day < b.day) months -= 1;
  return months;
}

/** Whole days from `from` to `to`. */
export function daysBetween(from: string, to: string): number | null {
  const a = parseIsoDate(from);
  const b = parseIsoDate(to);
  if (!a || !b) return null;
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000);
}

/**
 * How long ago a clinic-local date was, for a reading that may be old: "" for today,
 * "yesterday", "5 days ago", "3 months ago", "2 years ago" (by calendar months and years).
 */
export function howLongAgo(date: string, today: string): string {
  const days = daysBetween(date, today);
  if (days === null || days <= 0) return "";
  if (days === 1) return "yesterday";
  if (days < 31) return `${days} days ago`;
  const years = ageInYears(date, today) ?? 0;
  if (years >= 1) return years === 1 ? "a year ago" : `${years} years ago`;
  const months = Math.max(1, ageInMonths(date, today) ?? 1);
  return months === 1 ? "a month ago" : `${months} months ago`;
}

/**
 * Age as a clinic writes it: years from two years on ("34 y"), months below ("18 mo"),
 * days in the first month ("12 d"). Empty when the date is unreadable or in the future.
 */
export function formatAge(dateOfBirth: string, on: string): string {
  const years = ageInYears(dateOfBirth, on);
  if (years === null || years < 0) return "";
  if (years >= 2) return `${years} y`;
  const months = ageInMonths(dateOfBirth, on) ?? 0;
  if (months >= 1) return `${months} mo`;
  const days = daysBetween(dateOfBirth, on) ?? 0;
  return days < 0 ? "" : `${days} d`;
}

/** Result of reading a typed date. */
export type DateParse = { ok: true; date: string } | { ok: false; error: string };

/**
 * Reads a date typed at the desk in the clinic's order (see `parseDate` in locale.ts):
 * `3/4/1990` is March 4 in a month-first clinic and 3 April in a day-first one.
 */
export function parseTypedDate(input: string): DateParse {
  const p = parseDate(input);
  return p.ok ? { ok: true, date: p.value } : p;
}

/** Checks a date of birth the way the server does: not in the future, not before 1900. */
export function checkDateOfBirth(input: string, today: string): DateParse {
  const p = parseTypedDate(input);
  if (!p.ok) return p;
  if (p.date > today) return { ok: false, error: "cannot be in the future" };
  if (p.date < "1900-01-01") return { ok: false, error: `must be on or after ${showDate("1900-01-01")}` };
  return p;
}
