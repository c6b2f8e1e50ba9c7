// The UI's rule functions answer exactly as crates/model does: every case in
// bindings/rulesConformance.ts was computed by the Rust code (`cargo test -p medoffice-model`
// writes it), at each threshold, on each side, at ages 15 and 16, with inputs missing, and at
// every edge of every children's band (each age row, neonates apart, each administrative sex).

import { describe, expect, it } from "vitest";
import { RULES } from "../bindings/rules";
import { STATUS_CASES, TRANSITION_CASES, VALIDATION_CASES, VITALS_CASES } from "../bindings/rulesConformance";
import { NEWS2_PARAMETERS, bmi, flagsForAge, news2Escalation, news2ForAge, news2HasRedScore, news2Summary, validateMeasurements } from "./vitals";
import { canBecome, canMove, holdsTime } from "./workflow";

const label = (c: { measurements: object; age?: { years: number; days: number } | null; sex?: string }) =>
  `${JSON.stringify(c.measurements)} at ${c.age === undefined ? "any age" : c.age === null ? "unknown age" : `${c.age.years} y (day ${c.age.days})`}${c.sex ? `, ${c.sex}` : ""}`;

describe("vital signs: the UI answers as vitals.rs", () => {
  it("has cases at every edge", () => {
    expect(VITALS_CASES.length).toBeGreaterThan(300);
    expect(VALIDATION_CASES.length).toBeGreaterThan(30);
    const years = new Set(VITALS_CASES.map((c) => (c.age === null ? null : c.age.years)));
    for (let y = 0; y <= RULES.adult_from_age; y++) expect(years.has(y)).toBe(true);
    expect(years.has(null)).toBe(true);
    expect(VITALS_CASES.some((c) => c.age !== null && c.age.years === 0 && c.age.days <= RULES.neonate_to_day)).toBe(true);
    expect(new Set(VITALS_CASES.map((c) => c.sex))).toEqual(new Set(["female", "male", "other", "unknown"]));
  });

  it.each(VITALS_CASES.map((c) => [label(c), c] as const))("flags, NEWS2 and BMI of %s", (_, c) => {
    expect(flagsForAge(c.measurements, c.age, c.sex)).toEqual(c.flags);
    expect(news2ForAge(c.measurements, c.age)).toBe(c.news2);
    expect(news2HasRedScore(c.measurements)).toBe(c.news2_red_score);
    const summary = news2Summary(c.measurements, c.age);
    expect(summary).toEqual(c.news2 === null ? null : { total: c.news2, risk: c.news2_risk });
    expect(summary ? news2Escalation(summary.risk) : null).toBe(c.news2_escalation);
    expect(bmi(c.measurements)).toBe(c.bmi);
  });

  it.each(VALIDATION_CASES.map((c) => [label(c), c] as const))("validation of %s", (_, c) => {
    expect(validateMeasurements(c.measurements)).toEqual(c.errors);
  });

  it("names every NEWS2 parameter the model scores", () => {
    expect(new Set(NEWS2_PARAMETERS.map(([k]) => k))).toEqual(
      new Set([...RULES.news2.parameters.map((p) => p.field), "on_oxygen", "consciousness"]),
    );
  });
});

describe("appointment workflow: the UI answers as appointment.rs", () => {
  it("covers every pair of statuses", () => {
    expect(TRANSITION_CASES).toHaveLength(STATUS_CASES.length ** 2);
  });

  it.each(TRANSITION_CASES.map((c) => [c.from, c.to, c] as const))("%s → %s", (_from, _to, c) => {
    expect(canBecome(c.from, c.to)).toBe(c.can_become);
  });

  it.each(STATUS_CASES.map((c) => [c.status, c] as const))("%s: holds its time, may move", (_, c) => {
    expect(holdsTime(c.status)).toBe(c.is_live);
    expect(canMove(c.status)).toBe(c.can_move);
  });
});
