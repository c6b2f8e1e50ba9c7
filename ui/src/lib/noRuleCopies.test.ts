// One source for every clinical rule: crates/model owns them and generates
// ui/src/bindings/rules.ts. This test reads every hand-written source file of the UI and fails
// when one declares a table those rules own again: limits or abnormal bands next to a field
// name, NEWS2 score bands, a rule's constant, a list of appointment statuses (which hold time,
// which may follow which), an editable-field list, an error-code list, the booking lengths.

import { describe, expect, it } from "vitest";
import { RULES } from "../bindings/rules";

/** Every non-generated, non-test TypeScript file under ui/src, by path. */
const SOURCES: Record<string, string> = import.meta.glob<string>(["../**/*.ts", "!../bindings/**", "!../**/*.test.ts"], {
  query: "?raw",
  import: "default",
  eager: true,
});

const STATUSES = new Set<string>(RULES.appointment_statuses.map((s) => s.status));
const ERROR_CODES = new Set<string>([...RULES.error_codes, ...RULES.api_error_codes]);
const PATIENT_FIELDS = new Set<string>(RULES.patient_editable_fields);
const APPOINTMENT_FIELDS = new Set<string>(RULES.appointment_editable_fields);
const VITAL_FIELDS = [...new Set<string>([...RULES.vital_limits.map((l) => l.field), ...RULES.adult_flag_bands.map((b) => b.field)])];

/** UPPER_SNAKE names of the numeric rules (`ADULT_FROM_AGE`, `NEWS2_RED_SCORE`, ...). */
function ruleConstantNames(): string[] {
  const names: string[] = [];
  const walk = (prefix: string, o: object) => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === "number") names.push(`${prefix}${k}`.toUpperCase());
      else if (v && typeof v === "object" && !Array.isArray(v)) walk(`${prefix}${k}_`, v);
    }
  };
  walk("", RULES);
  return names;
}

/** Runs of two or more quoted words separated only by commas: an array, a set, arguments. */
function literalLists(src: string): string[][] {
  return [...src.matchAll(/"[a-z0-9_]+"(?:\s*,\s*"[a-z0-9_]+")+/g)].map((m) => [...m[0].matchAll(/"([a-z0-9_]+)"/g)].map((x) => x[1] ?? ""));
}

/** Chains of comparisons with quoted words joined by `||`: `s === "a" || s === "b" || ...`. */
function comparisonChains(src: string): string[][] {
  return [...src.matchAll(/[\w.]+\s*===?\s*"[a-z0-9_]+"(?:\s*\|\|\s*[\w.]+\s*===?\s*"[a-z0-9_]+")+/g)].map((m) =>
    [...m[0].matchAll(/"([a-z0-9_]+)"/g)].map((x) => x[1] ?? ""),
  );
}

const count = (words: string[], set: Set<string>) => new Set(words.filter((w) => set.has(w))).size;

/** `src` without its comments (prose may name a rule; code may not restate one). */
function code(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/[^\n]*/g, "$1");
}

/** What in `source` restates a rule of crates/model, in words (empty: nothing). */
export function ruleCopies(source: string): string[] {
  const src = code(source);
  const found: string[] = [];
  for (const f of VITAL_FIELDS) {
    const table = new RegExp(`\\b${f}\\s*:\\s*\\{[^}]*\\b(?:min|max|low|high)\\s*:\\s*-?\\d`);
    if (table.test(src)) found.push(`limits or bands of ${f}`);
  }
  if (/[<>]=?\s*\d+(?:\.\d+)?\s*\?\s*\d+\s*:\s*[\w.]+\s*[<>]=?\s*\d/.test(src)) found.push("a chain of score bands (NEWS2)");
  for (const name of ruleConstantNames()) {
    if (new RegExp(`\\b(?:const|let|var)\\s+${name}\\b`).test(src)) found.push(`the constant ${name}`);
  }
  if (new RegExp(`under ${RULES.adult_from_age}\\b`).test(src)) found.push(`the adult age (${RULES.adult_from_age}) in words`);
  const { min, max } = RULES.appointment_duration_minutes;
  if (new RegExp(`\\b${min}\\b[^\\n]{0,60}\\b${max}\\b`).test(src)) found.push(`the booking lengths ${min}–${max}`);
  for (const list of literalLists(src)) {
    if (count(list, STATUSES) >= 2) found.push(`a list of appointment statuses: ${list.join(", ")}`);
    if (count(list, ERROR_CODES) >= 3) found.push(`a list of error codes: ${list.join(", ")}`);
    if (count(list, PATIENT_FIELDS) >= 3) found.push(`a list of patient fields: ${list.join(", ")}`);
    if (count(list, APPOINTMENT_FIELDS) >= 3) found.push(`a list of appointment fields: ${list.join(", ")}`);
  }
  for (const chain of comparisonChains(src)) {
    if (count(chain, STATUSES) >= 3) found.push(`a chain of appointment statuses: ${chain.join(", ")}`);
  }
  return found;
}

describe("no rule of crates/model is restated in ui/src", () => {
  it("reads the sources", () => {
    expect(Object.keys(SOURCES).length).toBeGreaterThan(20);
    expect(Object.keys(SOURCES)).toContain("./vitals.ts");
    expect(Object.keys(SOURCES).some((p) => p.includes("/bindings/"))).toBe(false);
  });

  it.each(Object.entries(SOURCES))("%s declares no rule table", (_path, src) => {
    expect(ruleCopies(src)).toEqual([]);
  });

  it("catches each kind of copy", () => {
    expect(ruleCopies(`const L = { systolic_mmhg: { min: 40, max: 300 } };`)).toHaveLength(1);
    expect(ruleCopies(`const B = { spo2_pct: { low: 94, lowInclusive: false } };`)).toHaveLength(1);
    expect(ruleCopies(`const s = rr <= 8 ? 3 : rr <= 11 ? 1 : 0;`)).toHaveLength(1);
    expect(ruleCopies(`export const ADULT_FROM_AGE = 16;`)).toHaveLength(1);
    expect(ruleCopies(`const HOLDS = new Set(["scheduled", "checked_in"]);`)).toHaveLength(1);
    expect(ruleCopies(`return to === "in_progress" || to === "completed" || to === "cancelled";`)).toHaveLength(1);
    expect(ruleCopies(`const F = ["given_name", "family_name", "phone"];`)).toHaveLength(1);
    expect(ruleCopies(`const C = ["validation", "unauthorized", "forbidden"];`)).toHaveLength(1);
    expect(ruleCopies(`n >= 5 && n <= 480`)).toHaveLength(1);
    expect(ruleCopies(`"not used under 16"`)).toHaveLength(1);
    expect(ruleCopies(`const ok = RULES.vital_limits.length > 0 && a.status === "checked_in";`)).toEqual([]);
    expect(ruleCopies(`// NEWS2 is not used under 16\n/** SpO2 { low: 94 } */`)).toEqual([]);
  });
});
