// Checks of the workstation settings typed on the Settings screen that live on this page (theme,
// units); the server address and clinic code are the client core's to check.

import { isThemeChoice, type ThemeChoice } from "./theme";
import type { HeightUnit, TemperatureUnit, UnitPrefs, WeightUnit } from "./units";

/** A field's check: the cleaned value, or the words to show next to the field. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

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
