// Client-side mirror of crates/model/src/vitals.rs: impossible-value limits (refused at the
// field), abnormal flags (shown as typed), BMI and NEWS2 (RCP 2017, SpO2 scale 1). The core
// and the server apply the same rules again; this module only makes them visible while typing.
// Keep it in step with the Rust file: the tests in vitals.test.ts restate its test cases.
// Adult bands and NEWS2 apply from 16 years (`flagsForAge`, `news2ForAge`); `flags` and `news2`
// alone are the adult rules, as `flags()` and `news2()` are in Rust.

import type { Consciousness } from "../bindings/Consciousness";
import type { Measurements } from "../bindings/Measurements";
import type { News2Risk } from "../bindings/News2Risk";
import { ageInYears } from "./dates";
import { utcToZoned } from "./tz";
import type { HeightUnit, TemperatureUnit, WeightUnit } from "./units";
import { fromSi, roundTo, toSi, unitLabel } from "./units";

/** Numeric measurement fields, by wire name. */
export type NumericField =
  | "systolic_mmhg"
  | "diastolic_mmhg"
  | "heart_rate_bpm"
  | "respiratory_rate_bpm"
  | "spo2_pct"
  | "temperature_c"
  | "weight_kg"
  | "height_cm"
  | "pain_score";

export interface Limit {
  /** Lowest possible value (inclusive), SI. */
  min: number;
  /** Highest possible value (inclusive), SI. */
  max: number;
  /** Whole numbers only (the wire type is an integer). */
  integer: boolean;
  /** SI unit as the server words its messages (" mmHg", "/min", " %", ...). */
  unit: string;
}

/** `limits` in vitals.rs: outside these a value is a typing slip and is refused. */
export const LIMITS: Record<NumericField, Limit> = {
  systolic_mmhg: { min: 40, max: 300, integer: true, unit: " mmHg" },
  diastolic_mmhg: { min: 20, max: 200, integer: true, unit: " mmHg" },
  heart_rate_bpm: { min: 20, max: 300, integer: true, unit: "/min" },
  respiratory_rate_bpm: { min: 3, max: 80, integer: true, unit: "/min" },
  spo2_pct: { min: 20, max: 100, integer: true, unit: " %" },
  temperature_c: { min: 25.0, max: 45.0, integer: false, unit: " °C" },
  weight_kg: { min: 0.2, max: 650.0, integer: false, unit: " kg" },
  height_cm: { min: 20.0, max: 280.0, integer: false, unit: " cm" },
  pain_score: { min: 0, max: 10, integer: true, unit: "" },
};

/** Fields with an abnormal band: the numeric measurements that are flagged, and BMI. */
export type FlaggedField =
  | "systolic_mmhg"
  | "diastolic_mmhg"
  | "heart_rate_bpm"
  | "respiratory_rate_bpm"
  | "temperature_c"
  | "spo2_pct"
  | "pain_score"
  | "bmi";

/**
 * Where a field turns abnormal, SI units. A value is flagged low when it is below `low` (at or
 * below it when `lowInclusive`), high when it is at or above `high`; an absent side is never
 * flagged.
 */
export interface FlagThreshold {
  low?: number;
  lowInclusive?: boolean;
  high?: number;
}

/**
 * The adult abnormal bands of `flags()` in vitals.rs (the flags and the chart's shaded bands
 * both come from here). Sources, as in vitals.rs: blood pressure high ≥ 140/90 mmHg NICE NG136
 * (2019), systolic low ≤ 90 the NEWS2 score-3 band; heart rate ≤ 50 / ≥ 91 and respiratory rate
 * ≤ 11 / ≥ 21 the NEWS2 scoring bands (RCP 2017, chart 1); temperature ≤ 35.0 / ≥ 38.0 °C NEWS2
 * bands (fever from 38.0 as DESIGN.md asks); SpO2 < 94 % BTS oxygen guideline (2017, target
 * 94–98 %); BMI < 18.5 / ≥ 30 kg/m² WHO; pain ≥ 7 of 10.
 */
export const ADULT_THRESHOLDS: Readonly<Record<FlaggedField, FlagThreshold>> = {
  systolic_mmhg: { low: 90, lowInclusive: true, high: 140 },
  diastolic_mmhg: { low: 60, lowInclusive: false, high: 90 },
  heart_rate_bpm: { low: 50, lowInclusive: true, high: 91 },
  respiratory_rate_bpm: { low: 11, lowInclusive: true, high: 21 },
  temperature_c: { low: 35.0, lowInclusive: true, high: 38.0 },
  spo2_pct: { low: 94, lowInclusive: false },
  pain_score: { high: 7 },
  bmi: { low: 18.5, lowInclusive: false, high: 30.0 },
};

/** Which way `value` falls outside `t`, if it does. */
export function thresholdFlag(t: FlagThreshold, value: number): "low" | "high" | null {
  if (t.low !== undefined && (t.lowInclusive ? value <= t.low : value < t.low)) return "low";
  if (t.high !== undefined && value >= t.high) return "high";
  return null;
}

/**
 * `flags()` in vitals.rs, in the same order: `"<field>:<low|high>"`. Adult bands only: for a
 * patient use {@link flagsForAge}.
 */
export function flags(m: Measurements): string[] {
  const f: string[] = [];
  const flag = (field: FlaggedField, value: number | undefined) => {
    if (value === undefined) return;
    const d = thresholdFlag(ADULT_THRESHOLDS[field], value);
    if (d) f.push(`${field}:${d}`);
  };
  if (m.consciousness !== undefined && m.consciousness !== "alert") f.push("consciousness:high");
  flag("systolic_mmhg", m.systolic_mmhg);
  flag("diastolic_mmhg", m.diastolic_mmhg);
  flag("heart_rate_bpm", m.heart_rate_bpm);
  flag("respiratory_rate_bpm", m.respiratory_rate_bpm);
  flag("temperature_c", m.temperature_c);
  flag("spo2_pct", m.spo2_pct);
  flag("pain_score", m.pain_score);
  flag("bmi", bmi(m) ?? undefined);
  return f;
}

/** `bmi()` in vitals.rs: kg/m², one decimal, when weight and height are present. */
export function bmi(m: Pick<Measurements, "weight_kg" | "height_cm">): number | null {
  const w = m.weight_kg;
  const h = m.height_cm;
  if (w === undefined || w === null || h === undefined || h === null || h <= 0) return null;
  const metres = h / 100;
  return Math.round((w / (metres * metres)) * 10) / 10;
}

/** The parameters NEWS2 needs, in chart order, with the words shown when one is missing. */
export const NEWS2_PARAMETERS: ReadonlyArray<[keyof Measurements, string]> = [
  ["respiratory_rate_bpm", "respiratory rate"],
  ["spo2_pct", "SpO2"],
  ["on_oxygen", "air or oxygen"],
  ["systolic_mmhg", "systolic BP"],
  ["heart_rate_bpm", "heart rate"],
  ["consciousness", "consciousness"],
  ["temperature_c", "temperature"],
];

/** Per-parameter NEWS2 scores, or null when a parameter is missing. */
export function news2Scores(m: Measurements): Record<string, number> | null {
  const rr = m.respiratory_rate_bpm;
  const spo2 = m.spo2_pct;
  const o2 = m.on_oxygen;
  const sys = m.systolic_mmhg;
  const hr = m.heart_rate_bpm;
  const c = m.consciousness;
  const t = m.temperature_c;
  if (
    rr === undefined ||
    spo2 === undefined ||
    o2 === undefined ||
    sys === undefined ||
    hr === undefined ||
    c === undefined ||
    t === undefined
  )
    return null;
  const rrS = rr <= 8 ? 3 : rr <= 11 ? 1 : rr <= 20 ? 0 : rr <= 24 ? 2 : 3;
  const spo2S = spo2 <= 91 ? 3 : spo2 <= 93 ? 2 : spo2 <= 95 ? 1 : 0;
  const o2S = o2 ? 2 : 0;
  const sysS = sys <= 90 ? 3 : sys <= 100 ? 2 : sys <= 110 ? 1 : sys <= 219 ? 0 : 3;
  const hrS = hr <= 40 ? 3 : hr <= 50 ? 1 : hr <= 90 ? 0 : hr <= 110 ? 1 : hr <= 130 ? 2 : 3;
  const cS = c === "alert" ? 0 : 3;
  // Charted to one decimal: 35.0 scores 3, 35.1 scores 1, 38.1 scores 1.
  const t10 = Math.round(t * 10);
  const tS = t10 <= 350 ? 3 : t10 <= 360 ? 1 : t10 <= 380 ? 0 : t10 <= 390 ? 1 : 2;
  return {
    respiratory_rate_bpm: rrS,
    spo2_pct: spo2S,
    on_oxygen: o2S,
    systolic_mmhg: sysS,
    heart_rate_bpm: hrS,
    consciousness: cS,
    temperature_c: tS,
  };
}

/** `news2()` in vitals.rs: the total, when every parameter is present (adults: see {@link news2ForAge}). */
export function news2(m: Measurements): number | null {
  const s = news2Scores(m);
  if (!s) return null;
  return Object.values(s).reduce((a, b) => a + b, 0);
}

/** `news2_has_red_score()`: any single parameter scoring 3 (air/oxygen never does). */
export function news2HasRedScore(m: Measurements): boolean {
  const s = news2Scores(m);
  return s !== null && Object.values(s).some((v) => v >= 3);
}

/** `news2_risk()` in vitals.rs: the clinical risk band of a total. */
export function news2Risk(total: number, hasRedScore: boolean): News2Risk {
  if (total >= 7) return "high";
  if (total >= 5) return "medium";
  if (hasRedScore) return "low_medium";
  return "low";
}

/** Words for a risk band, and the RCP chart 2 response it triggers. */
export function news2RiskText(risk: News2Risk): { label: string; short: string; response: string } {
  switch (risk) {
    case "high":
      return { label: "High", short: "High", response: "urgent or emergency response" };
    case "medium":
      return { label: "Medium", short: "Medium", response: "key threshold for urgent response" };
    case "low_medium":
      return { label: "Low-medium", short: "Low-med", response: "single parameter scoring 3: urgent ward-based response" };
    default:
      return { label: "Low", short: "Low", response: "ward-based response" };
  }
}

/**
 * NEWS2 of a measurement set for a patient of `age` years (null: unknown, counts as adult) as
 * the form shows it, or null when incomplete or the patient is under 16.
 */
export function news2Summary(m: Measurements, age: number | null): { total: number; risk: News2Risk } | null {
  const total = news2ForAge(m, age);
  if (total === null) return null;
  return { total, risk: news2Risk(total, news2HasRedScore(m)) };
}

/** The NEWS2 parameters still missing from a set, in words. */
export function news2Missing(m: Measurements): string[] {
  return NEWS2_PARAMETERS.filter(([k]) => m[k] === undefined || m[k] === null).map(([, w]) => w);
}

/**
 * `ADULT_FROM_AGE` in vitals.rs: age in whole years from which adult thresholds and NEWS2
 * apply. RCP (2017): NEWS2 "should not be used in children (under 16)"; adult BMI (WHO),
 * blood-pressure, heart-rate and respiratory-rate bands do not fit children either, and
 * medoffice has no age-banded paediatric ranges yet, so for children only age-independent flags
 * are raised.
 */
export const ADULT_FROM_AGE = 16;

/**
 * `CHILD_SPO2_LOW_BELOW` in vitals.rs: SpO2 below which a child's saturation is flagged low.
 * BTS guideline for community-acquired pneumonia in children (2011): oxygen when saturation is
 * below 92 %.
 */
export const CHILD_SPO2_LOW_BELOW = 92;

/** `adult_thresholds_apply()`: true when adult thresholds apply at `age` (years; null = unknown, counts as adult). */
export function adultThresholdsApply(age: number | null): boolean {
  return age === null || age >= ADULT_FROM_AGE;
}

/**
 * `flags_for_age()` in vitals.rs: abnormal values for a patient of `age` years. {@link flags}
 * for adults (and unknown age); for children only temperature, SpO2 (< 92 %), pain and
 * consciousness, in the Rust order.
 */
export function flagsForAge(m: Measurements, age: number | null): string[] {
  if (adultThresholdsApply(age)) return flags(m);
  const f: string[] = [];
  if (m.consciousness !== undefined && m.consciousness !== "alert") f.push("consciousness:high");
  const t = thresholdsForAge(age);
  for (const field of ["temperature_c", "spo2_pct", "pain_score"] as const) {
    const v = m[field];
    const th = t[field];
    if (v === undefined || !th) continue;
    const d = thresholdFlag(th, v);
    if (d) f.push(`${field}:${d}`);
  }
  return f;
}

/**
 * The abnormal bands that apply to a patient of `age` years (null: unknown, counts as adult):
 * {@link ADULT_THRESHOLDS} from 16; under 16 only temperature, SpO2 below
 * {@link CHILD_SPO2_LOW_BELOW} and pain (fields without a band are left out).
 */
export function thresholdsForAge(age: number | null): Partial<Record<FlaggedField, FlagThreshold>> {
  if (adultThresholdsApply(age)) return ADULT_THRESHOLDS;
  return {
    temperature_c: ADULT_THRESHOLDS.temperature_c,
    spo2_pct: { low: CHILD_SPO2_LOW_BELOW, lowInclusive: false },
    pain_score: ADULT_THRESHOLDS.pain_score,
  };
}

/** `news2_for_age()` in vitals.rs: NEWS2 for a patient of `age` years; none under 16 (not validated). */
export function news2ForAge(m: Measurements, age: number | null): number | null {
  return adultThresholdsApply(age) ? news2(m) : null;
}

/**
 * Age in whole years at a measurement, as the server and the core compute it for the record's
 * flags: `age_on(date_of_birth, <date of measured_at in the clinic's zone>)`, i.e. on the
 * calendar date the clinic's wall clock showed at the instant (`timeZone`, IANA), not the UTC
 * date. Null when the date of birth is absent or unreadable, or the instant is unreadable
 * (counts as adult).
 */
export function ageAtMeasurement(
  dateOfBirth: string | null | undefined,
  measuredAtUtc: string,
  timeZone: string,
): number | null {
  if (!dateOfBirth) return null;
  const t = Date.parse(measuredAtUtc);
  if (Number.isNaN(t)) return null;
  return ageInYears(dateOfBirth, utcToZoned(t, timeZone).date);
}

/** `Measurements::validate()`: impossible values and the blood-pressure pair, by field. */
export function validateMeasurements(m: Measurements): Record<string, string[]> {
  const e: Record<string, string[]> = {};
  const add = (field: string, msg: string) => {
    (e[field] ??= []).push(msg);
  };
  const empty =
    m.systolic_mmhg === undefined &&
    m.diastolic_mmhg === undefined &&
    m.heart_rate_bpm === undefined &&
    m.respiratory_rate_bpm === undefined &&
    m.temperature_c === undefined &&
    m.spo2_pct === undefined &&
    m.weight_kg === undefined &&
    m.height_cm === undefined &&
    m.pain_score === undefined &&
    m.consciousness === undefined;
  if (empty) add("measurements", "enter at least one measurement");
  const s = m.systolic_mmhg;
  const d = m.diastolic_mmhg;
  if (s !== undefined && d === undefined) add("diastolic_mmhg", "is required with systolic");
  else if (s === undefined && d !== undefined) add("systolic_mmhg", "is required with diastolic");
  else if (s !== undefined && d !== undefined && d >= s) add("diastolic_mmhg", "must be below systolic");
  for (const field of Object.keys(LIMITS) as NumericField[]) {
    const v = m[field];
    if (v === undefined) continue;
    const l = LIMITS[field];
    if (!Number.isFinite(v)) add(field, "must be a number");
    else if (v < l.min || v > l.max) add(field, `must be between ${l.min} and ${l.max}${l.unit}`);
  }
  return e;
}

/** The unit a numeric field is typed in. */
export type FieldUnit = TemperatureUnit | WeightUnit | HeightUnit | null;

/** What one typed field amounts to. */
export interface FieldCheck {
  /** The value in SI, when it is a number inside the possible range. */
  value?: number;
  /** Why the value is refused. */
  error?: string;
}

const TYPING_RE = /^\d*(?:[.,]\d*)?$/;
const NUMBER_RE = /^\d+(?:[.,]\d+)?$/;

/** A limit in the typed unit, rounded inward (one decimal) so the words never admit a refused value. */
export function limitInUnit(si: number, unit: FieldUnit, side: "min" | "max"): number {
  if (unit === null || unit === "C" || unit === "kg" || unit === "cm") return si;
  const v = roundTo(fromSi(si, unit), 6) * 10;
  return (side === "min" ? Math.ceil(v) : Math.floor(v)) / 10;
}

/**
 * Checks one typed value. While `typing`, only what more typing cannot fix is refused (not a
 * number, a decimal in a whole-number field, above the maximum); a value below the minimum is
 * refused once the person leaves the field (`final`). A value is returned only when it is
 * possible, so partial input ("1" on the way to "120") is neither flagged nor refused.
 */
export function checkField(field: NumericField, typed: string, unit: FieldUnit, final: boolean): FieldCheck {
  const text = typed.trim();
  if (text === "") return {};
  const l = LIMITS[field];
  const ul = unit === null ? l.unit : ` ${unitLabel(unit)}`;
  if (!TYPING_RE.test(text) || text === "." || text === ",") return { error: "must be a number" };
  if (l.integer && /[.,]/.test(text)) return { error: "must be a whole number" };
  if (!NUMBER_RE.test(text)) return final ? { error: "must be a number" } : {};
  const raw = Number(text.replace(",", "."));
  const si = unit === null ? raw : toSi(raw, text, unit);
  const range = `must be between ${limitInUnit(l.min, unit, "min")} and ${limitInUnit(l.max, unit, "max")}${ul}`;
  if (si > l.max) return { error: range };
  if (si < l.min) return final ? { error: range } : {};
  return { value: si };
}

/** Builds the measurement set from checked values (absent fields left out). */
export function measurementsFrom(
  values: Partial<Record<NumericField, number>>,
  consciousness: Consciousness | undefined,
  onOxygen: boolean | undefined,
): Measurements {
  const m: Measurements = {};
  for (const [k, v] of Object.entries(values) as [NumericField, number | undefined][]) {
    if (v !== undefined) m[k] = v;
  }
  if (consciousness !== undefined) m.consciousness = consciousness;
  if (onOxygen !== undefined) m.on_oxygen = onOxygen;
  return m;
}

/** Which way a field is flagged in a `flags` list, if at all. */
export function flagOf(flagList: readonly string[], field: string): "low" | "high" | null {
  for (const f of flagList) {
    const [name, dir] = f.split(":");
    if (name === field && (dir === "low" || dir === "high")) return dir;
  }
  return null;
}
