// Merging two records of one person (issue 16): which values the record that stays takes.
// Pure code; screens/merge.ts draws it and the core sends `PatientMerge` (crates/model).
//
// Rules: the record kept keeps its own value unless the person picks the other's; where the
// kept record has nothing and the other has something, the other's is offered first (nothing
// known is dropped without a choice); allergies and identifiers are never chosen between: the
// survivor gets every allergy of both (an allergy lost in a merge is a patient harmed) and
// every identifier of both (each names the one person).

import type { Patient } from "../bindings/Patient";
import type { PatientIdentifier } from "../bindings/PatientIdentifier";
import { identifierKey } from "./patientForm";
import type { VitalSigns } from "../bindings/VitalSigns";

/** A demographic field compared side by side, by wire name. */
export type MergeField =
  | "given_name"
  | "family_name"
  | "date_of_birth"
  | "sex"
  | "phone"
  | "email"
  | "address"
  | "city"
  | "state"
  | "postal_code"
  | "country"
  | "preferred_language"
  | "interpreter_required"
  | "emergency_contact_name"
  | "emergency_contact_phone"
  | "next_of_kin_name"
  | "next_of_kin_relationship"
  | "next_of_kin_phone"
  | "notes"
  | "first_seen_at";

/** The fields compared, in the order shown, with their words. */
export const MERGE_FIELDS: ReadonlyArray<[MergeField, string]> = [
  ["given_name", "Given name"],
  ["family_name", "Family name"],
  ["date_of_birth", "Date of birth"],
  ["sex", "Sex"],
  ["phone", "Phone"],
  ["email", "E-mail"],
  ["address", "Street address"],
  ["city", "City"],
  ["state", "State or region"],
  ["postal_code", "Postal code"],
  ["country", "Country"],
  ["preferred_language", "Preferred language"],
  ["interpreter_required", "Interpreter needed"],
  ["emergency_contact_name", "Emergency contact"],
  ["emergency_contact_phone", "Emergency phone"],
  ["next_of_kin_name", "Next of kin"],
  ["next_of_kin_relationship", "Relationship"],
  ["next_of_kin_phone", "Next of kin's phone"],
  ["notes", "Notes"],
  ["first_seen_at", "First seen"],
];

/** Which record a value comes from. */
export type Side = "a" | "b";

/** One compared field: both values and which is chosen at first. */
export interface MergeRow {
  field: MergeField;
  label: string;
  a: string | null;
  b: string | null;
  /** The two differ (a choice to make). */
  differs: boolean;
  /** Chosen at first: the kept record's, unless it has nothing and the other has something. */
  chosen: Side;
}

const text = (v: unknown): string | null => (v === null || v === undefined || v === "" ? null : String(v));

/**
 * The rows of the comparison when `keep` stays. `first_seen_at` offers the earlier date first
 * (the first visit is the earliest of the two).
 */
export function mergeRows(a: Patient, b: Patient, keep: Side): MergeRow[] {
  const other: Side = keep === "a" ? "b" : "a";
  return MERGE_FIELDS.map(([field, label]) => {
    const va = text(a[field]);
    const vb = text(b[field]);
    const kept = keep === "a" ? va : vb;
    const theirs = keep === "a" ? vb : va;
    let chosen: Side = kept === null && theirs !== null ? other : keep;
    if (field === "first_seen_at" && va !== null && vb !== null) chosen = va <= vb ? "a" : "b";
    return { field, label, a: va, b: vb, differs: va !== vb, chosen };
  });
}

/** Every allergy of both records, each once (case and spaces ignored), the kept record's first. */
export function mergedAllergies(kept: Patient, other: Patient): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const x of [...kept.allergies, ...other.allergies]) {
    const k = x.trim().toLowerCase();
    if (k && !seen.has(k)) {
      seen.add(k);
      out.push(x.trim());
    }
  }
  return out;
}

/**
 * The `fields` of a `PatientMerge`: the other record's value for each field where it was
 * chosen, and the combined allergies when they add anything to the kept record's.
 */
export function mergeFields(a: Patient, b: Patient, keep: Side, chosen: Partial<Record<MergeField, Side>>): Record<string, unknown> {
  const kept = keep === "a" ? a : b;
  const other = keep === "a" ? b : a;
  const fields: Record<string, unknown> = {};
  for (const [field] of MERGE_FIELDS) {
    if ((chosen[field] ?? keep) !== keep && text(kept[field]) !== text(other[field])) fields[field] = other[field];
  }
  // sent whenever the other record has one the kept record lacks (the server adds them anyway)
  const has = new Set(kept.allergies.map((x) => x.trim().toLowerCase()));
  if (other.allergies.some((x) => x.trim() !== "" && !has.has(x.trim().toLowerCase()))) fields.allergies = mergedAllergies(kept, other);
  const ids = mergedIdentifiers(kept, other);
  if (ids.length > kept.identifiers.length) fields.identifiers = ids;
  return fields;
}

/** Every identifier of both records, each once (same kind, issuer and number), the kept record's first; as the server keeps them. */
export function mergedIdentifiers(kept: Patient, other: Patient): PatientIdentifier[] {
  const out: PatientIdentifier[] = [];
  for (const i of [...kept.identifiers, ...other.identifiers]) {
    if (!out.some((o) => o.kind === i.kind && (o.system ?? null) === (i.system ?? null) && identifierKey(o.value) === identifierKey(i.value))) out.push(i);
  }
  return out;
}

/** The measurements compared between two sets taken at one time, with their words. */
const SET_FIELDS: ReadonlyArray<[keyof VitalSigns, string]> = [
  ["systolic_mmhg", "systolic"],
  ["diastolic_mmhg", "diastolic"],
  ["heart_rate_bpm", "HR"],
  ["respiratory_rate_bpm", "RR"],
  ["spo2_pct", "SpO2"],
  ["temperature_c", "temperature"],
  ["weight_kg", "weight"],
  ["height_cm", "height"],
  ["pain_score", "pain"],
];

/** Two sets, one of each record, measured in the same minute with different values. */
export interface ClashingSets {
  /** The minute, as measured_at (UTC) of the first record's set. */
  measuredAt: string;
  /** The values that differ, in words ("HR 72 / 118"). */
  differences: string[];
}

/**
 * Sets of the two records measured in the same minute whose values differ: after a merge both
 * sit in one chart at one time, and one of them is probably someone else's (or a slip). The
 * merge screen says so, so the person checks before merging and corrects one after. Sets
 * entered in error are left out.
 */
export function clashingSets(a: readonly VitalSigns[], b: readonly VitalSigns[]): ClashingSets[] {
  const minute = (t: string) => Math.floor(Date.parse(t) / 60_000);
  const live = (v: VitalSigns) => v.status !== "entered-in-error";
  const out: ClashingSets[] = [];
  for (const x of a.filter(live)) {
    for (const y of b.filter(live)) {
      if (minute(x.measured_at) !== minute(y.measured_at)) continue;
      const differences = SET_FIELDS.flatMap(([f, words]) => {
        const vx = x[f];
        const vy = y[f];
        return vx != null && vy != null && vx !== vy ? [`${words} ${String(vx)} / ${String(vy)}`] : [];
      });
      if (differences.length > 0) out.push({ measuredAt: x.measured_at, differences });
    }
  }
  return out;
}

/** The record to keep at first: the one seen first (the older record carries the history). */
export function defaultKeep(a: Patient, b: Patient): Side {
  return b.created_at < a.created_at ? "b" : "a";
}
