import { describe, expect, it } from "vitest";
import type { VitalSigns } from "../bindings/VitalSigns";
import { MIN_SPAN_MS, ageSegments, xRange, defaultPeriod, latestHeightCm, monthsBefore, periodStart, trendChart, trendCharts, type TrendInput, type TrendOptions } from "./trends";
import { RULES } from "../bindings/rules";
import { ADULT_THRESHOLDS } from "./vitals";
import { DEFAULT_UNITS } from "./units";

const TZ = "America/New_York";

function set(measured_at: string, m: Partial<VitalSigns>, flags: string[] = [], pending = false): TrendInput {
  return {
    pending,
    record: {
      status: "final",
      correction: null,
      id: measured_at,
      patient_id: "p",
      measured_at,
      recorded_by: "u",
      notes: null,
      entered_offline: false,
      flags,
      news2: null,
      revision: 1,
      created_at: measured_at,
      ...m,
    },
  };
}

const opts = (o: Partial<TrendOptions> = {}): TrendOptions => ({
  units: DEFAULT_UNITS,
  from: null,
  dateOfBirth: "1986-01-01",
  sex: "female",
  now: Date.parse("2026-05-21T16:00:00Z"),
  timeZone: TZ,
  period: "all",
  ...o,
});

describe("periods", () => {
  it("counts calendar months back and clamps the day", () => {
    expect(monthsBefore("2026-05-31", 3)).toBe("2026-02-28");
    expect(monthsBefore("2024-05-31", 3)).toBe("2024-02-29");
    expect(monthsBefore("2026-01-15", 12)).toBe("2025-01-15");
    expect(monthsBefore("2026-03-10", 60)).toBe("2021-03-10");
  });

  it("starts at midnight in the clinic's zone, not UTC", () => {
    // 2026-02-21 00:00 in New York is 05:00 UTC (EST)
    expect(periodStart("3m", "2026-05-21", TZ)).toBe(Date.parse("2026-02-21T05:00:00Z"));
    expect(periodStart("all", "2026-05-21", TZ)).toBeNull();
  });

  it("opens with the shortest period that shows a line", () => {
    const today = "2026-05-21";
    expect(defaultPeriod(["2026-05-01T10:00:00Z", "2026-04-01T10:00:00Z"], today, TZ)).toBe("3m");
    // one set in 3 months, two in a year
    expect(defaultPeriod(["2026-05-01T10:00:00Z", "2025-09-01T10:00:00Z"], today, TZ)).toBe("1y");
    expect(defaultPeriod(["2010-05-01T10:00:00Z", "2012-09-01T10:00:00Z"], today, TZ)).toBe("all");
    // a single set: the shortest period that holds it
    expect(defaultPeriod(["2023-05-01T10:00:00Z"], today, TZ)).toBe("5y");
    expect(defaultPeriod([], today, TZ)).toBe("all");
  });
});

describe("series", () => {
  const vitals = [
    set("2026-05-01T14:00:00Z", { systolic_mmhg: 150, diastolic_mmhg: 95, heart_rate_bpm: 72 }, ["systolic_mmhg:high", "diastolic_mmhg:high"]),
    set("2026-01-01T14:00:00Z", { systolic_mmhg: 120, diastolic_mmhg: 80, temperature_c: 37.0 }),
    set("2026-03-01T14:00:00Z", { systolic_mmhg: 88, diastolic_mmhg: 55, temperature_c: 38.5, weight_kg: 70, height_cm: 175 }, ["systolic_mmhg:low", "diastolic_mmhg:low", "temperature_c:high"], true),
  ];

  it("sorts oldest first, keeps the record's flags and pending mark", () => {
    const c = trendChart("bp", vitals, opts());
    expect(c.series.map((s) => s.field)).toEqual(["systolic_mmhg", "diastolic_mmhg"]);
    expect(c.series[0]?.points.map((p) => [p.value, p.flag, p.pending])).toEqual([
      [120, null, false],
      [88, "low", true],
      [150, "high", false],
    ]);
    expect(c.count).toBe(3);
  });

  it("filters by the period's first instant", () => {
    const c = trendChart("bp", vitals, opts({ from: Date.parse("2026-02-01T00:00:00Z") }));
    expect(c.series[0]?.points.map((p) => p.value)).toEqual([88, 150]);
  });

  it("converts temperature and weight to the workstation's units", () => {
    const units = { temperature: "F", weight: "lb", height: "cm" } as const;
    const t = trendChart("temp", vitals, opts({ units }));
    expect(t.unit).toBe("°F");
    expect(t.series[0]?.points.map((p) => p.value)).toEqual([98.6, 101.3]);
    const w = trendChart("weight", vitals, opts({ units }));
    expect(w.unit).toBe("lb");
    expect(w.series[0]?.points[0]?.value).toBe(154.3);
  });

  it("words the latest value and the range for screen readers", () => {
    const bp = trendChart("bp", vitals, opts());
    expect(bp.summary).toBe(
      "Blood pressure: latest 150 (high)/95 (high) mmHg on 2026-05-01; systolic 88–150, diastolic 55–95 mmHg over 3 measurements in all records.",
    );
    const hr = trendChart("hr", vitals, opts({ period: "3m" }));
    expect(hr.summary).toBe("Heart rate: latest 72/min on 2026-05-01; range 72/min over 1 measurement in the last 3 months.");
  });

  it("says so when nothing was recorded in the period", () => {
    const c = trendChart("spo2", vitals, opts());
    expect(c.count).toBe(0);
    expect(c.yRange).toBeNull();
    expect(c.summary).toBe("No SpO2 recorded in this period.");
    expect(trendChart("bp", [], opts()).summary).toBe("No blood pressure recorded in this period.");
  });

  it("gives all five charts in order", () => {
    expect(trendCharts(vitals, opts()).map((c) => c.measure)).toEqual(["bp", "hr", "spo2", "temp", "weight"]);
  });
});

describe("bands", () => {
  it("come from the flag thresholds, in display units", () => {
    const bp = trendChart("bp", [], opts());
    expect(bp.bands).toEqual([
      { from: null, to: ADULT_THRESHOLDS.systolic_mmhg.low, tFrom: null, tTo: null, current: true, kind: "low", label: "systolic ≤ 90 mmHg", field: "systolic_mmhg" },
      { from: ADULT_THRESHOLDS.systolic_mmhg.high, to: null, tFrom: null, tTo: null, current: true, kind: "high", label: "systolic ≥ 140 mmHg", field: "systolic_mmhg" },
      { from: null, to: 60, tFrom: null, tTo: null, current: true, kind: "low", label: "diastolic < 60 mmHg", field: "diastolic_mmhg" },
      { from: 90, to: null, tFrom: null, tTo: null, current: true, kind: "high", label: "diastolic ≥ 90 mmHg", field: "diastolic_mmhg" },
    ]);
    const temp = trendChart("temp", [], opts({ units: { ...DEFAULT_UNITS, temperature: "F" } }));
    expect(temp.bands.map((b) => [b.from, b.to])).toEqual([
      [null, 95],
      [100.4, null],
    ]);
    // SpO2 has only a low band
    expect(trendChart("spo2", [], opts()).bands.map((b) => b.kind)).toEqual(["low"]);
  });

  it("follow the patient's age: a child's bands are the children's ranges", () => {
    const ten = opts({ dateOfBirth: "2015-09-01", period: "3m", from: Date.parse("2026-02-21T05:00:00Z") });
    // APLS 80–120 at 5–11 years
    expect(trendChart("hr", [], ten).bands.map((b) => [b.kind, b.from, b.to, b.label])).toEqual([
      ["low", null, 80, "< 80/min"],
      ["high", 121, null, "≥ 121/min"],
    ]);
    expect(trendChart("hr", [], ten).bandNote).toBeNull();
    expect(trendChart("spo2", [], ten).bands[0]?.to).toBe(RULES.child_spo2_low_below);
    expect(trendChart("temp", [], ten).bands).toHaveLength(2);
    // no BMI band under 16
    expect(trendChart("weight", [set("2026-05-01T10:00:00Z", { height_cm: 140, weight_kg: 60 })], ten).bandNote).toMatch(/under 16/);
  });

  it("step at a birthday inside the chart, each stretch with the bands of the age then", () => {
    // turns 12 on 2026-03-10 (New York): APLS 80–120 before, 60–100 from that midnight
    const o = opts({ dateOfBirth: "2014-03-10", period: "1y", from: Date.parse("2025-05-21T04:00:00Z") });
    const birthday = Date.parse("2026-03-10T04:00:00Z");
    const hr = trendChart("hr", [], o);
    expect(hr.bands.map((b) => [b.kind, b.from, b.to, b.tFrom, b.tTo, b.current])).toEqual([
      ["low", null, 80, null, birthday, false],
      ["high", 121, null, null, birthday, false],
      ["low", null, 60, birthday, null, true],
      ["high", 101, null, birthday, null, true],
    ]);
    expect(hr.bandNote).toMatch(/age at each reading/);
    // the AAP blood-pressure values change every year; SpO2's band does not, so one stretch
    expect(trendChart("spo2", [], o).bands).toHaveLength(1);
    expect(trendChart("bp", [], o).bands.filter((b) => b.current).map((b) => b.label)).toEqual([
      "systolic < 90 mmHg",
      "systolic ≥ 114 mmHg",
      "diastolic ≥ 75 mmHg",
    ]);
  });

  it("split a child's time at day 29 and at each birthday, 29 February on 1 March", () => {
    const s = ageSegments("2024-02-29", Date.parse("2024-03-01T00:00:00Z"), Date.parse("2026-06-01T00:00:00Z"), "UTC");
    expect(s.map((x) => [x.from && new Date(x.from).toISOString().slice(0, 10), x.age?.years, x.age?.days])).toEqual([
      [null, 0, 1],
      ["2024-03-29", 0, 29],
      ["2025-03-01", 1, 366],
      ["2026-03-01", 2, 731],
    ]);
    expect(ageSegments(null, 0, 1, "UTC")).toEqual([{ from: null, to: null, age: null }]);
    // an adult all through: one stretch
    expect(ageSegments("1980-01-01", Date.parse("2000-01-01T00:00:00Z"), Date.parse("2026-01-01T00:00:00Z"), "UTC")).toHaveLength(1);
  });

  it("shade the weights outside the BMI bands at the latest height", () => {
    const v = [set("2025-01-01T10:00:00Z", { height_cm: 160 }), set("2026-01-01T10:00:00Z", { height_cm: 170, weight_kg: 80 })];
    expect(latestHeightCm(v)).toBe(170);
    const w = trendChart("weight", v, opts());
    // 18.5 × 1.7² = 53.465 kg, 30 × 1.7² = 86.7 kg
    expect(w.bands.map((b) => [b.kind, b.from, b.to])).toEqual([
      ["low", null, 53.47],
      ["high", 86.7, null],
    ]);
    expect(w.bands[0]?.label).toBe("< 53.5 kg (BMI < 18.5 kg/m² at 170 cm)");
    expect(trendChart("weight", [set("2026-01-01T10:00:00Z", { weight_kg: 80 })], opts()).bandNote).toMatch(/no height/);
  });

  it("the y range holds the data and the band edges", () => {
    const c = trendChart("hr", [set("2026-01-01T10:00:00Z", { heart_rate_bpm: 70 })], opts());
    expect(c.yRange).not.toBeNull();
    expect(c.yRange!.min).toBeLessThan(50);
    expect(c.yRange!.max).toBeGreaterThan(91);
    const s = trendChart("spo2", [set("2026-01-01T10:00:00Z", { spo2_pct: 99 })], opts());
    expect(s.yRange!.max).toBe(100);
  });
});

describe("time axis", () => {
  const day = 24 * 3600 * 1000;
  it("runs from the period's start to now, with room at both ends", () => {
    const r = xRange([10 * day, 20 * day], 0, 100 * day);
    expect(r.min).toBeCloseTo(-3 * day);
    expect(r.max).toBeCloseTo(103 * day);
  });
  it("centres a single reading in two weeks", () => {
    const t = 50 * day;
    const r = xRange([t], null, t);
    expect((r.min + r.max) / 2).toBeCloseTo(t);
    expect(r.max - r.min).toBeCloseTo(MIN_SPAN_MS * 1.06);
  });
});
