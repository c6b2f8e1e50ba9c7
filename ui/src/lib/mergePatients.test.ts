import { describe, expect, it } from "vitest";
import type { Patient } from "../bindings/Patient";
import type { VitalSigns } from "../bindings/VitalSigns";
import { clashingSets, defaultKeep, mergeFields, mergeRows, mergedAllergies } from "./mergePatients";

const base: Patient = {
  id: "a",
  mrn: "000101",
  given_name: "Ann",
  family_name: "Lee",
  date_of_birth: "1980-04-03",
  sex: "female",
  phone: "555 0101",
  email: null,
  address: "1 Main St",
  emergency_contact_name: null,
  emergency_contact_phone: null,
  city: null,
  state: null,
  postal_code: null,
  country: null,
  preferred_language: null,
  interpreter_required: false,
  next_of_kin_name: null,
  next_of_kin_relationship: null,
  next_of_kin_phone: null,
  identifiers: [],
  allergies: ["Penicillin"],
  no_known_allergies: false,
  notes: null,
  first_seen_at: "2020-01-05",
  revision: 10,
  created_at: "2020-01-05T10:00:00Z",
  updated_at: "2020-01-05T10:00:00Z",
  deleted: false,
  replaced_by: null,
};
const dup: Patient = {
  ...base,
  id: "b",
  mrn: "P-1a2b3c4d",
  phone: "555 0199",
  email: "ann@example.org",
  address: null,
  allergies: ["penicillin ", "Latex"],
  first_seen_at: "2019-11-02",
  created_at: "2026-12-06T09:00:00Z",
};

describe("merging two records of one person", () => {
  it("keeps the older record by default", () => {
    expect(defaultKeep(base, dup)).toBe("a");
    expect(defaultKeep(dup, base)).toBe("b");
  });
  it("offers the kept record's values, the other's where the kept has none, and the earlier first visit", () => {
    const rows = Object.fromEntries(mergeRows(base, dup, "a").map((r) => [r.field, r]));
    expect(rows.phone).toMatchObject({ a: "555 0101", b: "555 0199", differs: true, chosen: "a" });
    expect(rows.email).toMatchObject({ a: null, b: "ann@example.org", chosen: "b" });
    expect(rows.address).toMatchObject({ a: "1 Main St", b: null, chosen: "a" });
    expect(rows.given_name?.differs).toBe(false);
    expect(rows.first_seen_at?.chosen).toBe("b");
  });
  it("sends only the other record's chosen values, and every allergy of both", () => {
    const rows = mergeRows(base, dup, "a");
    const chosen = Object.fromEntries(rows.map((r) => [r.field, r.chosen]));
    expect(mergeFields(base, dup, "a", chosen)).toEqual({
      email: "ann@example.org",
      first_seen_at: "2019-11-02",
      allergies: ["Penicillin", "Latex"],
    });
    // picking the other's phone sends it; picking the kept one's sends nothing for it
    expect(mergeFields(base, dup, "a", { ...chosen, phone: "b" }).phone).toBe("555 0199");
    expect(mergedAllergies(base, dup)).toEqual(["Penicillin", "Latex"]);
    // nothing new in allergies: not sent
    expect(mergeFields(dup, base, "a", {}).allergies).toBeUndefined();
    // a case duplicate on the kept record does not hide the other's new allergy
    const twice = { ...base, allergies: ["Penicillin", "penicillin"] };
    expect(mergeFields(twice, { ...dup, allergies: ["Latex"] }, "a", {}).allergies).toEqual(["Penicillin", "Latex"]);
  });

  it("finds sets of the two records taken in one minute with different values", () => {
    const set = (id: string, at: string, m: Partial<VitalSigns>, status: VitalSigns["status"] = "final"): VitalSigns => ({
      id,
      patient_id: "p",
      measured_at: at,
      recorded_by: "u",
      notes: null,
      entered_offline: false,
      flags: [],
      news2: null,
      status,
      correction: null,
      revision: 1,
      created_at: at,
      ...m,
    });
    const a = [set("a1", "2026-12-01T15:00:10Z", { heart_rate_bpm: 72, spo2_pct: 97 }), set("a2", "2026-11-01T15:00:00Z", { heart_rate_bpm: 70 })];
    const b = [set("b1", "2026-12-01T15:00:40Z", { heart_rate_bpm: 118, spo2_pct: 97 }), set("b2", "2026-11-01T15:00:00Z", { heart_rate_bpm: 70 })];
    expect(clashingSets(a, b)).toEqual([{ measuredAt: "2026-12-01T15:00:10Z", differences: ["HR 72 / 118"] }]);
    // the same values at one time are one reading entered twice, not a clash; a withdrawn set is none
    expect(clashingSets([a[1]!], [b[1]!])).toEqual([]);
    expect(clashingSets([set("w", "2026-12-01T15:00:10Z", { heart_rate_bpm: 50 }, "entered-in-error")], b)).toEqual([]);
  });
});
