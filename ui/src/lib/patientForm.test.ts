import { describe, expect, it } from "vitest";
import type { Patient } from "../bindings/Patient";
import { buildNewPatient, isPlausibleEmail, isPlausiblePhone, parseAllergies, patientChanges, patientFormValues, type PatientFormValues } from "./patientForm";
import { summarizeFieldErrors } from "./format";
import { canBecome } from "./workflow";

const blank: PatientFormValues = {
  given_name: "",
  family_name: "",
  date_of_birth: "",
  sex: "",
  phone: "",
  email: "",
  address: "",
  emergency_contact_name: "",
  emergency_contact_phone: "",
  city: "",
  state: "",
  postal_code: "",
  country: "",
  preferred_language: "",
  interpreter_required: "",
  next_of_kin_name: "",
  next_of_kin_relationship: "",
  next_of_kin_phone: "",
  identifiers: "",
  allergies: "",
  no_known_allergies: "",
  notes: "",
};

describe("registration form", () => {
  it("requires names, date of birth and sex", () => {
    const r = buildNewPatient(blank, "2024-07-13");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(["date_of_birth", "family_name", "given_name", "sex"]);
  });
  it("builds a trimmed body, leaving out empty optional fields", () => {
    const r = buildNewPatient(
      {
        ...blank,
        given_name: "  Zoë ",
        family_name: "Müller",
        date_of_birth: "03.04.1990",
        sex: "female",
        phone: " +1 (555) 010-2000 ",
        allergies: "penicillin, latex,, Penicillin ; peanuts",
      },
      "2024-07-13",
      "0190c7e4-0000-7000-8000-000000000001",
    );
    expect(r).toEqual({
      ok: true,
      patient: {
        id: "0190c7e4-0000-7000-8000-000000000001",
        given_name: "Zoë",
        family_name: "Müller",
        date_of_birth: "1990-04-03",
        sex: "female",
        phone: "+1 (555) 010-2000",
        allergies: ["penicillin", "latex", "peanuts"],
      },
    });
  });
  it("checks phones and e-mail as the model does", () => {
    expect(isPlausiblePhone("555-0100")).toBe(true);
    expect(isPlausiblePhone("1234")).toBe(false);
    expect(isPlausiblePhone("555 0100 ext 2")).toBe(false);
    expect(isPlausibleEmail("a@b.org")).toBe(true);
    expect(isPlausibleEmail("a@.org")).toBe(false);
    expect(isPlausibleEmail("@b.org")).toBe(false);
    const r = buildNewPatient(
      { ...blank, given_name: "A", family_name: "B", date_of_birth: "1990-01-01", sex: "male", email: "nope", emergency_contact_phone: "12" },
      "2024-07-13",
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(["email", "emergency_contact_phone"]);
  });
  it("splits allergies", () => {
    expect(parseAllergies("")).toEqual([]);
    expect(parseAllergies("Penicillin")).toEqual(["Penicillin"]);
  });
});

describe("appointment workflow and words", () => {
  it("allows the usual path and refuses reopening", () => {
    expect(canBecome("scheduled", "checked_in")).toBe(true);
    expect(canBecome("checked_in", "in_progress")).toBe(true);
    expect(canBecome("in_progress", "completed")).toBe(true);
    expect(canBecome("scheduled", "in_progress")).toBe(false);
    expect(canBecome("completed", "scheduled")).toBe(false);
    expect(canBecome("cancelled", "checked_in")).toBe(false);
  });
  it("summarizes field errors in words", () => {
    expect(summarizeFieldErrors({ systolic_mmhg: ["must be between 40 and 300 mmHg"], zzz: ["odd"] })).toBe(
      "Systolic BP must be between 40 and 300 mmHg; zzz odd",
    );
  });
});

describe("front-desk demographics", () => {
  const filled: PatientFormValues = {
    ...blank,
    given_name: "Ana",
    family_name: "Souza",
    date_of_birth: "1985-06-01",
    sex: "female",
    address: "12 Harbor St\nApt 3",
    city: " Boston ",
    state: "MA",
    postal_code: "02110",
    country: "US",
    preferred_language: "pt-BR",
    interpreter_required: "yes",
    next_of_kin_name: "Rui Souza",
    next_of_kin_relationship: "spouse",
    next_of_kin_phone: "+1 617 555 0101",
    identifiers: JSON.stringify([
      { kind: "social_security", system: "", value: " 123-45-6789 " },
      { kind: "insurance_member", system: "Blue Cross MA", value: "XJH 100200" },
      { kind: "passport", system: "", value: "" },
    ]),
  };

  it("builds the structured address, language, next of kin and identifiers", () => {
    const r = buildNewPatient(filled, "2024-07-13");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.patient).toMatchObject({
      city: "Boston",
      postal_code: "02110",
      preferred_language: "pt-BR",
      interpreter_required: true,
      next_of_kin_relationship: "spouse",
      identifiers: [
        { kind: "social_security", system: null, value: "123-45-6789" },
        { kind: "insurance_member", system: "Blue Cross MA", value: "XJH 100200" },
      ],
    });
  });

  it("names what is wrong, row by row", () => {
    const r = buildNewPatient(
      {
        ...filled,
        preferred_language: "Portuguese",
        next_of_kin_name: "",
        identifiers: JSON.stringify([
          { kind: "insurance_member", system: "", value: "XJH 100200" },
          { kind: "passport", system: "", value: "---" },
        ]),
      },
      "2024-07-13",
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.preferred_language).toEqual(["must be a language code such as es, pt-BR or zh-Hant (BCP 47)"]);
    expect(r.errors.next_of_kin_name).toEqual(["is required with a relationship or phone"]);
    expect(r.errors.identifiers).toEqual(["number 1: an insurance member number needs the insurer", "number 2: the value must have letters or digits, at most 64 characters"]);
  });

  it("sends only what an edit changed, identifiers and the interpreter included", () => {
    const built = buildNewPatient(filled, "2024-07-13");
    if (!built.ok) throw new Error("valid");
    const original = { ...built.patient, id: "p", mrn: "000001", allergies: [], identifiers: built.patient.identifiers ?? [], interpreter_required: true } as unknown as Patient;
    const same = patientChanges(original, patientFormValues(original), "2024-07-13");
    expect(same).toEqual({ ok: true, changes: {} });
    const edited = { ...patientFormValues(original), interpreter_required: "", identifiers: JSON.stringify([{ kind: "social_security", system: "", value: "123-45-6789" }]) };
    const r = patientChanges(original, edited, "2024-07-13");
    expect(r).toEqual({ ok: true, changes: { interpreter_required: false, identifiers: [{ kind: "social_security", system: null, value: "123-45-6789" }] } });
  });
});
