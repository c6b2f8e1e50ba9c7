import { describe, expect, it } from "vitest";
import { buildNewPatient, isPlausibleEmail, isPlausiblePhone, parseAllergies, type PatientFormValues } from "./patientForm";
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
  allergies: "",
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
