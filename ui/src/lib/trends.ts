// Trend charts of a patient's vital signs, as data: one chart per measure (blood pressure, heart
// rate, SpO2, temperature, weight), its series in the workstation's display units, the
// abnormal bands to shade and the words a screen reader gets. Pure code; the chart screen draws
// it with Chart.js.
//
// Where the bands come from: the same thresholds the flags use, `thresholdsForAge` in
// lib/vitals.ts (the model's adult bands from its adult age, children's bands by age and sex
// below it; the clinical sources are in crates/model/src/vitals.rs and paediatric.rs). A
// child's bands follow the age at each reading: they step at each birthday (and at day 29) that
// falls inside the chart. The weight chart has no band of its own, so it shades the weights
// that give a BMI outside the adult BMI band (WHO, `ADULT_THRESHOLDS.bmi`) at the patient's
// latest recorded height.
// Markers come only from each record's `flags` (the server's or the core's verdict), never
// from these bands.

import type { AdministrativeSex } from "../bindings/AdministrativeSex";
import type { AgeAt } from "../bindings/AgeAt";
import type { VitalSigns } from "../bindings/VitalSigns";
import { ageAt } from "./dates";
import { showDate } from "./locale";
import { parseIsoDate, utcToZoned, zonedToUtc } from "./tz";
import { fromSi, roundTo, unitLabel, type UnitPrefs } from "./units";
import { RULES } from "../bindings/rules";
import { flagOf, thresholdsForAge, type FlagThreshold, type FlaggedField } from "./vitals";

/** One chart: blood pressure (mmHg), heart rate (/min), SpO2 (%), temperature, weight. */
export type TrendMeasure = "bp" | "hr" | "spo2" | "temp" | "weight";
/** The charts, in the order shown. */
export const TREND_MEASURES: readonly TrendMeasure[] = ["bp", "hr", "spo2", "temp", "weight"];

/** A period to show, counted back from the clinic's today; `all` is every measurement. */
export type TrendPeriod = "3m" | "1y" | "5y" | "all";
/** The periods offered, shortest first, with their button words. */
export const TREND_PERIODS: ReadonlyArray<[TrendPeriod, string]> = [
  ["3m", "3 months"],
  ["1y", "1 year"],
  ["5y", "5 years"],
  ["all", "All"],
];
const PERIOD_MONTHS: Record<TrendPeriod, number | null> = { "3m": 3, "1y": 12, "5y": 60, all: null };
/** Words for a period inside a sentence ("over the last year"). */
export const PERIOD_WORDS: Record<TrendPeriod, string> = {
  "3m": "in the last 3 months",
  "1y": "in the last year",
  "5y": "in the last 5 years",
  all: "in all records",
};

/** The date `months` calendar months before a `YYYY-MM-DD` date (day clamped: 31 May − 3 → 28/29 Feb). */
export function monthsBefore(date: string, months: number): string {
  const d = parseIsoDate(date);
  if (!d) throw new RangeError(`not a date: ${date}`);
  const total = d.year * 12 + (d.month - 1) - months;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${String(year).padStart(4, "0")}-${pad(month)}-${pad(Math.min(d.day, last))}`;
}

/**
 * First instant (epoch ms) of a period: midnight in the clinic's zone `timeZone` of the day
 * `months` before `today` (the clinic's date). Null for `all`.
 */
export function periodStart(period: TrendPeriod, today: string, timeZone: string): number | null {
  const m = PERIOD_MONTHS[period];
  if (m === null) return null;
  return Date.parse(zonedToUtc(monthsBefore(today, m), "00:00", timeZone));
}

/**
 * The period to open with: the shortest that holds at least two measurement sets (a line), else
 * the shortest that holds one, else `all`.
 */
export function defaultPeriod(measuredAt: readonly string[], today: string, timeZone: string): TrendPeriod {
  const times = measuredAt.map((t) => Date.parse(t)).filter((t) => !Number.isNaN(t));
  for (const need of [2, 1]) {
    for (const [p] of TREND_PERIODS) {
      const start = periodStart(p, today, timeZone);
      if (times.filter((t) => start === null || t >= start).length >= need) return p;
    }
  }
  return "all";
}

/** One plotted value. */
export interface TrendPoint {
  /** Measured at, epoch ms. */
  t: number;
  /** In the display unit, rounded as the table shows it. */
  value: number;
  /** The record's own flag for this field. */
  flag: "low" | "high" | null;
  /** Still waiting to be sent. */
  pending: boolean;
}

/** One line of a chart. */
export interface TrendSeries {
  /** Wire field (`systolic_mmhg`). */
  field: string;
  /** Legend words ("Systolic"). */
  label: string;
  /** Oldest first. */
  points: TrendPoint[];
}

/**
 * A shaded abnormal band, display unit; a null side runs to the edge of the chart. `tFrom` and
 * `tTo` (epoch ms) bound it in time when the patient's age changes the band inside the chart.
 */
export interface TrendBand {
  from: number | null;
  to: number | null;
  tFrom: number | null;
  tTo: number | null;
  /** The band of the chart's latest stretch (the one named in the words). */
  current: boolean;
  kind: "low" | "high";
  /** Words for the legend and the text alternative ("systolic ≥ 140"). */
  label: string;
  /** Which series it belongs to, when a chart has two (blood pressure). */
  field: string;
}

/** What one chart shows. */
export interface TrendChart {
  measure: TrendMeasure;
  /** Heading ("Blood pressure"). */
  title: string;
  /** Unit symbol in the display unit ("mmHg", "°F"). */
  unit: string;
  series: TrendSeries[];
  bands: TrendBand[];
  /** Suggested y range (display unit) holding the data and the band edges, null when empty. */
  yRange: { min: number; max: number } | null;
  /** Sets plotted (a blood-pressure pair counts once). */
  count: number;
  /** Text alternative: the latest value and the range over the period, or the empty message. */
  summary: string;
  /** Why no band is shown, when none is ("no height recorded"). */
  bandNote: string | null;
}

interface MeasureDef {
  title: string;
  /** Words in "No … recorded in this period". */
  noun: string;
  fields: ReadonlyArray<{ field: keyof VitalSigns & string; label: string; band: FlaggedField | null }>;
  unit: (u: UnitPrefs) => string;
  convert: (si: number, u: UnitPrefs) => number;
  decimals: number;
}

const MEASURES: Record<TrendMeasure, MeasureDef> = {
  bp: {
    title: "Blood pressure",
    noun: "blood pressure",
    fields: [
      { field: "systolic_mmhg", label: "Systolic", band: "systolic_mmhg" },
      { field: "diastolic_mmhg", label: "Diastolic", band: "diastolic_mmhg" },
    ],
    unit: () => "mmHg",
    convert: (v) => v,
    decimals: 0,
  },
  hr: {
    title: "Heart rate",
    noun: "heart rate",
    fields: [{ field: "heart_rate_bpm", label: "Heart rate", band: "heart_rate_bpm" }],
    unit: () => "/min",
    convert: (v) => v,
    decimals: 0,
  },
  spo2: {
    title: "SpO2",
    noun: "SpO2",
    fields: [{ field: "spo2_pct", label: "SpO2", band: "spo2_pct" }],
    unit: () => "%",
    convert: (v) => v,
    decimals: 0,
  },
  temp: {
    title: "Temperature",
    noun: "temperature",
    fields: [{ field: "temperature_c", label: "Temperature", band: "temperature_c" }],
    unit: (u) => unitLabel(u.temperature),
    convert: (v, u) => fromSi(v, u.temperature),
    decimals: 1,
  },
  weight: {
    title: "Weight",
    noun: "weight",
    fields: [{ field: "weight_kg", label: "Weight", band: null }],
    unit: (u) => unitLabel(u.weight),
    convert: (v, u) => fromSi(v, u.weight),
    decimals: 1,
  },
};

/** Words for a value in a unit ("72 /min", "37.2 °C", "98 %"). */
function withUnit(v: number, unit: string, decimals: number): string {
  const n = v.toFixed(decimals);
  return unit === "/min" ? `${n}/min` : `${n} ${unit}`;
}

/** Bands of one threshold in the display unit. `what` prefixes the label ("systolic"). */
function bandsOf(t: FlagThreshold, convert: (si: number) => number, decimals: number, unit: string, what: string, field: string): TrendBand[] {
  const out: TrendBand[] = [];
  const name = what ? `${what} ` : "";
  if (t.low !== null) {
    const v = roundTo(convert(t.low), decimals + 1);
    out.push({ from: null, to: v, tFrom: null, tTo: null, current: true, kind: "low", label: `${name}${t.low_inclusive ? "≤" : "<"} ${withUnit(v, unit, decimals)}`.trim(), field });
  }
  if (t.high !== null) {
    const v = roundTo(convert(t.high), decimals + 1);
    out.push({ from: v, to: null, tFrom: null, tTo: null, current: true, kind: "high", label: `${name}≥ ${withUnit(v, unit, decimals)}`.trim(), field });
  }
  return out;
}

/** Options for {@link trendChart}. */
export interface TrendOptions {
  units: UnitPrefs;
  /** First instant shown (epoch ms), null for all. */
  from: number | null;
  /** Date of birth (`YYYY-MM-DD`; null: unknown, adult bands), choosing the bands by age. */
  dateOfBirth: string | null;
  /** Administrative sex (children's blood-pressure bands are by sex). */
  sex: AdministrativeSex;
  /** Now (epoch ms): the chart runs to here. */
  now: number;
  /** Clinic's IANA zone, for the dates in the words. */
  timeZone: string;
  period: TrendPeriod;
}

/** A set as the chart reads it (the `Local<VitalSigns>` wrapper's record and pending mark). */
export interface TrendInput {
  record: VitalSigns;
  pending: boolean;
}

/** A stretch of time (epoch ms; null: the chart's edge) and the patient's age through it. */
export interface AgeSegment {
  from: number | null;
  to: number | null;
  age: AgeAt | null;
}

/**
 * The stretches between `start` and `end` (epoch ms) in which a child born on `dateOfBirth` has
 * one set of bands: split at midnight (clinic's zone) of day 29 of life and of each birthday up to
 * the adult age, as `AgeAt::on` counts them (a 29 February birthday falls on 1 March in other
 * years). One stretch with a null age when the date of birth is unknown.
 */
export function ageSegments(dateOfBirth: string | null, start: number, end: number, timeZone: string): AgeSegment[] {
  const birth = dateOfBirth ? parseIsoDate(dateOfBirth) : null;
  const first = birth && dateOfBirth ? ageAt(dateOfBirth, utcToZoned(start, timeZone).date) : null;
  if (!birth || !dateOfBirth || !first) return [{ from: null, to: null, age: null }];
  const pad = (n: number) => String(n).padStart(2, "0");
  const neonateEnd = new Date(Date.UTC(birth.year, birth.month - 1, birth.day + RULES.neonate_to_day + 1)).toISOString().slice(0, 10);
  const dates = [neonateEnd];
  for (let y = 1; y <= RULES.adult_from_age; y++) {
    const year = String(birth.year + y).padStart(4, "0");
    const d = `${year}-${pad(birth.month)}-${pad(birth.day)}`;
    dates.push(parseIsoDate(d) ? d : `${year}-03-01`);
  }
  const out: AgeSegment[] = [{ from: null, to: null, age: first }];
  for (const d of dates) {
    const t = Date.parse(zonedToUtc(d, "00:00", timeZone));
    if (!(t > start && t < end)) continue;
    out[out.length - 1]!.to = t;
    out.push({ from: t, to: null, age: ageAt(dateOfBirth, d) });
  }
  return out;
}

/** The latest recorded height (cm) among `vitals`, any period, or null. */
export function latestHeightCm(vitals: readonly TrendInput[]): number | null {
  let best: { t: number; h: number } | null = null;
  for (const v of vitals) {
    const h = v.record.height_cm;
    const t = Date.parse(v.record.measured_at);
    if (h === undefined || h === null || Number.isNaN(t)) continue;
    if (!best || t > best.t) best = { t, h };
  }
  return best?.h ?? null;
}

/**
 * One chart's data from a patient's vital signs (any order): the series in the period, oldest
 * first, converted to the display units; the bands that apply at the patient's age; a y range
 * holding both; and the text alternative.
 */
export function trendChart(measure: TrendMeasure, vitals: readonly TrendInput[], o: TrendOptions): TrendChart {
  const def = MEASURES[measure];
  const unit = def.unit(o.units);
  const convert = (si: number) => def.convert(si, o.units);
  const inPeriod = vitals
    .map((v) => ({ v, t: Date.parse(v.record.measured_at) }))
    .filter(({ t }) => !Number.isNaN(t) && (o.from === null || t >= o.from))
    .sort((a, b) => a.t - b.t);
  const series: TrendSeries[] = def.fields.map((f) => ({
    field: f.field,
    label: f.label,
    points: inPeriod.flatMap(({ v, t }) => {
      const raw = v.record[f.field];
      if (typeof raw !== "number") return [];
      return [{ t, value: roundTo(convert(raw), def.decimals), flag: flagOf(v.record.flags, f.field), pending: v.pending }];
    }),
  }));

  const start = o.from ?? Math.min(...inPeriod.map(({ t }) => t), o.now);
  const segments = ageSegments(o.dateOfBirth, start, o.now, o.timeZone);
  const ageNow = segments[segments.length - 1]!.age;
  const thresholds = thresholdsForAge(ageNow, o.sex);
  let bands: TrendBand[] = [];
  let bandNote: string | null = null;
  if (measure === "weight") {
    const h = latestHeightCm(vitals);
    const bmiT = thresholds.bmi;
    if (!bmiT) bandNote = `No band: adult BMI ranges do not apply under ${RULES.adult_from_age}.`;
    else if (h === null) bandNote = "No band: no height recorded to work out the BMI ranges.";
    else {
      const m2 = (h / 100) ** 2;
      const edge = (kind: TrendBand["kind"]) => (kind === "low" ? `${bmiT.low_inclusive ? "≤" : "<"} ${bmiT.low}` : `≥ ${bmiT.high}`);
      bands = bandsOf(bmiT, (bmiValue) => convert(bmiValue * m2), def.decimals, unit, "", "weight_kg").map((b) => ({
        ...b,
        label: `${b.label} (BMI ${edge(b.kind)} kg/m² at ${Math.round(h)} cm)`,
      }));
    }
  } else {
    // each stretch's bands; a stretch whose bands are those of the one before extends it
    const stretches: { from: number | null; to: number | null; bands: TrendBand[] }[] = [];
    for (const seg of segments) {
      const th = thresholdsForAge(seg.age, o.sex);
      const own = def.fields.flatMap((f) => {
        const t = f.band ? th[f.band] : undefined;
        return t ? bandsOf(t, convert, def.decimals, unit, def.fields.length > 1 ? f.label.toLowerCase() : "", f.field) : [];
      });
      const prev = stretches[stretches.length - 1];
      if (prev && JSON.stringify(prev.bands) === JSON.stringify(own)) prev.to = seg.to;
      else stretches.push({ from: seg.from, to: seg.to, bands: own });
    }
    bands = stretches.flatMap((s, i) =>
      s.bands.map((b) => ({ ...b, tFrom: s.from, tTo: s.to, current: i === stretches.length - 1 })),
    );
    if (bands.length === 0) bandNote = `No band: adult ranges do not apply under ${RULES.adult_from_age}.`;
    else if (stretches.length > 1) bandNote = "Bands follow the patient's age at each reading (children's ranges change with age).";
  }

  const values = series.flatMap((s) => s.points.map((p) => p.value));
  const count = inPeriod.filter(({ v }) => def.fields.some((f) => typeof v.record[f.field] === "number")).length;
  let yRange: TrendChart["yRange"] = null;
  if (values.length > 0) {
    const edges = bands.flatMap((b) => [b.from, b.to]).filter((x): x is number => x !== null);
    const all = [...values, ...edges];
    const lo = Math.min(...all);
    const hi = Math.max(...all);
    const pad = Math.max((hi - lo) * 0.08, measure === "temp" ? 0.3 : 1);
    yRange = { min: roundTo(lo - pad, def.decimals), max: roundTo(hi + pad, def.decimals) };
    if (measure === "spo2") yRange.max = Math.min(yRange.max, 100);
  }

  const summary = summarize(def, measure, series, count, unit, o);
  return { measure, title: def.title, unit, series, bands, yRange, count, summary, bandNote };
}

function summarize(def: MeasureDef, measure: TrendMeasure, series: TrendSeries[], count: number, unit: string, o: TrendOptions): string {
  if (count === 0) return `No ${def.noun} recorded in this period.`;
  const flagWord = (f: TrendPoint["flag"]) => (f ? ` (${f})` : "");
  const date = (t: number) => showDate(utcToZoned(t, o.timeZone).date);
  const sets = `${count} measurement${count === 1 ? "" : "s"} ${PERIOD_WORDS[o.period]}`;
  const range = (s: TrendSeries) => {
    const vs = s.points.map((p) => p.value);
    const lo = Math.min(...vs).toFixed(def.decimals);
    const hi = Math.max(...vs).toFixed(def.decimals);
    return lo === hi ? lo : `${lo}–${hi}`;
  };
  const lastOf = (x: TrendSeries | undefined) => x?.points[x.points.length - 1];
  const [first, second] = series;
  if (measure === "bp" && first && second) {
    const ls = lastOf(first);
    const ld = lastOf(second);
    const latest = ls && ld ? `${ls.value}${flagWord(ls.flag)}/${ld.value}${flagWord(ld.flag)} mmHg on ${date(ls.t)}` : "";
    return `${def.title}: latest ${latest}; systolic ${range(first)}, diastolic ${range(second)} mmHg over ${sets}.`;
  }
  const last = lastOf(first);
  if (!first || !last) return `No ${def.noun} recorded in this period.`;
  const r = range(first);
  const rangeText = unit === "/min" ? `${r}/min` : `${r} ${unit}`;
  return `${def.title}: latest ${withUnit(last.value, unit, def.decimals)}${flagWord(last.flag)} on ${date(last.t)}; range ${rangeText} over ${sets}.`;
}

const DAY_MS = 24 * 3600 * 1000;
/** Narrowest time axis drawn, ms: a single reading sits in the middle of two weeks. */
export const MIN_SPAN_MS = 14 * DAY_MS;

/**
 * The time axis (epoch ms) for readings at `times`: from the period's start (`from`; the first
 * reading for `all`) to `now` or the last reading, at least {@link MIN_SPAN_MS} wide (centred
 * on the readings when narrower), with 3 % room on each side so edge markers are not cut.
 */
export function xRange(times: readonly number[], from: number | null, now: number): { min: number; max: number } {
  let lo = from ?? Math.min(...times, now);
  let hi = Math.max(now, ...times);
  if (hi - lo < MIN_SPAN_MS) {
    const mid = times.length > 0 ? (Math.min(...times) + Math.max(...times)) / 2 : (lo + hi) / 2;
    lo = mid - MIN_SPAN_MS / 2;
    hi = mid + MIN_SPAN_MS / 2;
  }
  const pad = (hi - lo) * 0.03;
  return { min: lo - pad, max: hi + pad };
}

/** All five charts, in {@link TREND_MEASURES} order. */
export function trendCharts(vitals: readonly TrendInput[], o: TrendOptions): TrendChart[] {
  return TREND_MEASURES.map((m) => trendChart(m, vitals, o));
}
