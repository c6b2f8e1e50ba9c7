// Checks of the workstation settings typed on the Settings screen (the client core checks the
// server address again, with this workstation's transport rules, before keeping it).

import { isThemeChoice, type ThemeChoice } from "./theme";
import type { HeightUnit, TemperatureUnit, UnitPrefs, WeightUnit } from "./units";

/** A field's check: the cleaned value, or the words to show next to the field. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** True for a loopback host (`localhost`, 127.0.0.0/8, `[::1]`): plain HTTP stays on this computer. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * A server address: `https://host[:port][/path]`, or `http://` to this computer (loopback).
 * Plain `http://` to another computer is refused here with words saying why; the client core
 * lets it through only where the workstation allows it (`allowInsecureHttp`, unknown to the
 * page: pass true to leave that decision to the core). Trailing slashes are dropped.
 */
export function checkServerUrl(text: string, allowInsecureHttp = false): Checked<string> {
  const t = text.trim().replace(/\/+$/, "");
  if (t === "") return { ok: false, error: "is required" };
  if (!/^https?:\/\//i.test(t)) return { ok: false, error: "must start with https:// (or http:// for this computer)" };
  let u: URL;
  try {
    u = new URL(t);
  } catch {
    return { ok: false, error: "is not a web address (for example https://clinic.example:8443)" };
  }
  if (!u.hostname) return { ok: false, error: "must name a server" };
  if (u.protocol === "http:" && !allowInsecureHttp && !isLoopbackHost(u.hostname))
    return {
      ok: false,
      error: `${u.origin} is plain http://: passwords and patient records would cross the network unencrypted. Use https://`,
    };
  return { ok: true, value: t };
}

/** A clinic code as the server knows it: 2–63 of a–z, 0–9 and "-", starting with a letter or digit (lower-cased). */
export function checkClinicCode(text: string): Checked<string> {
  const t = text.trim().toLowerCase();
  if (t === "") return { ok: false, error: "is required" };
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(t))
    return { ok: false, error: "must be 2 to 63 letters, digits or hyphens, starting with a letter or digit" };
  return { ok: true, value: t };
}

/** The three unit choices as read from the form; an unknown value is an error on its field. */
export function checkUnits(v: { temperature: string; weight: string; height: string }): { ok: true; value: UnitPrefs } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  if (v.temperature !== "C" && v.temperature !== "F") errors.temperature = "choose °C or °F";
  if (v.weight !== "kg" && v.weight !== "lb") errors.weight = "choose kg or lb";
  if (v.height !== "cm" && v.height !== "in") errors.height = "choose cm or in";
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { temperature: v.temperature as TemperatureUnit, weight: v.weight as WeightUnit, height: v.height as HeightUnit } };
}

/** A theme choice from the form. */
export function checkTheme(v: string): Checked<ThemeChoice> {
  return isThemeChoice(v) ? { ok: true, value: v } : { ok: false, error: "choose Light, Dark or Follow the system" };
}
