// Unit conversion for vital signs. Values are stored and sent in SI (°C, kg, cm); people may
// type °F, lb or in. A converted value keeps the precision that was typed: enough decimals that
// converting back and rounding to the typed decimals gives the typed number again.

export type TemperatureUnit = "C" | "F";
export type WeightUnit = "kg" | "lb";
export type HeightUnit = "cm" | "in";

/** Kilograms in one pound (exact, by definition). */
export const KG_PER_LB = 0.45359237;
/** Centimetres in one inch (exact, by definition). */
export const CM_PER_IN = 2.54;

/** Decimal places written in a typed number: "37" → 0, "98.6" → 1, "70.25" → 2. */
export function decimalsOf(typed: string): number {
  const s = typed.trim().replace(",", ".");
  const dot = s.indexOf(".");
  if (dot < 0) return 0;
  return s.length - dot - 1;
}

/** Rounds to `decimals` places, avoiding binary noise (1.005 → 1.01, not 1.00). */
export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round((value + Number.EPSILON * Math.abs(value)) * f) / f;
}

/**
 * Decimals a converted value needs so it still resolves the typed step: a step of 10^-d in the
 * typed unit is `factor` × 10^-d in the target unit, so d + ceil(-log10(factor)) places keep it.
 * One place more than typed at least, so a whole number of inches (70 in) becomes 177.8 cm
 * rather than a rounded 178.
 */
export function convertedDecimals(typedDecimals: number, factor: number): number {
  if (factor === 1) return typedDecimals;
  const extra = Math.max(1, Math.ceil(-Math.log10(factor) - 1e-12));
  return typedDecimals + extra;
}

export function fahrenheitToCelsius(f: number): number {
  return ((f - 32) * 5) / 9;
}
export function celsiusToFahrenheit(c: number): number {
  return (c * 9) / 5 + 32;
}
export function poundsToKilograms(lb: number): number {
  return lb * KG_PER_LB;
}
export function kilogramsToPounds(kg: number): number {
  return kg / KG_PER_LB;
}
export function inchesToCentimetres(inches: number): number {
  return inches * CM_PER_IN;
}
export function centimetresToInches(cm: number): number {
  return cm / CM_PER_IN;
}

/** The factor by which one typed unit step scales into the SI unit. */
function factorToSi(unit: TemperatureUnit | WeightUnit | HeightUnit): number {
  switch (unit) {
    case "F":
      return 5 / 9;
    case "lb":
      return KG_PER_LB;
    case "in":
      return CM_PER_IN;
    default:
      return 1;
  }
}

/** Converts a typed value to SI, keeping its precision. `typed` is the text as typed. */
export function toSi(value: number, typed: string, unit: TemperatureUnit | WeightUnit | HeightUnit): number {
  const d = decimalsOf(typed);
  switch (unit) {
    case "F":
      return roundTo(fahrenheitToCelsius(value), convertedDecimals(d, factorToSi(unit)));
    case "lb":
      return roundTo(poundsToKilograms(value), convertedDecimals(d, factorToSi(unit)));
    case "in":
      return roundTo(inchesToCentimetres(value), convertedDecimals(d, factorToSi(unit)));
    default:
      return value;
  }
}

/** Converts an SI value to the display unit (unrounded). */
export function fromSi(si: number, unit: TemperatureUnit | WeightUnit | HeightUnit): number {
  switch (unit) {
    case "F":
      return celsiusToFahrenheit(si);
    case "lb":
      return kilogramsToPounds(si);
    case "in":
      return centimetresToInches(si);
    default:
      return si;
  }
}

/** An SI value shown in a display unit with fixed decimals ("98.6"). */
export function formatInUnit(si: number, unit: TemperatureUnit | WeightUnit | HeightUnit, decimals = 1): string {
  return roundTo(fromSi(si, unit), decimals).toFixed(decimals);
}

/** The symbol printed after a value. */
export function unitLabel(unit: TemperatureUnit | WeightUnit | HeightUnit): string {
  switch (unit) {
    case "C":
      return "°C";
    case "F":
      return "°F";
    default:
      return unit;
  }
}

/** The person's chosen units, remembered on this workstation. */
export interface UnitPrefs {
  temperature: TemperatureUnit;
  weight: WeightUnit;
  height: HeightUnit;
}

export const DEFAULT_UNITS: UnitPrefs = { temperature: "C", weight: "kg", height: "cm" };
const STORAGE_KEY = "medoffice.units";

/** Minimal storage interface (localStorage in the app, a map in tests). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function loadUnitPrefs(store: KeyValueStore | undefined): UnitPrefs {
  try {
    const raw = store?.getItem(STORAGE_KEY);
    if (!raw) return { ...DEFAULT_UNITS };
    const p = JSON.parse(raw) as Partial<UnitPrefs>;
    return {
      temperature: p.temperature === "F" ? "F" : "C",
      weight: p.weight === "lb" ? "lb" : "kg",
      height: p.height === "in" ? "in" : "cm",
    };
  } catch {
    return { ...DEFAULT_UNITS };
  }
}

export function saveUnitPrefs(store: KeyValueStore | undefined, prefs: UnitPrefs): void {
  try {
    store?.setItem(STORAGE_KEY, JSON.stringify(prefs));
  } catch {
    // Storage full or unavailable: the choice lasts for this session only.
  }
}
