import { describe, expect, it } from "vitest";
import type { Patient } from "../bindings/Patient";
import type { ReviewItem } from "../bindings/ReviewItem";
import { signInText } from "../ui/statusbar";
import { patientChanges, patientFormValues } from "./patientForm";
import {
  buildRebook,
  discardText,
  editControl,
  fieldLabel,
  formatFieldValue,
  parseFieldInput,
  rebookDefaults,
  refusedKind,
  reviewKey,
  reviewSummary,
  valueToInput,
} from "./review";

const NY = "America/New_York";
const vc = { tz: NY, staffName: (id: string) => (id === "u1" ? "Dr. Daniel Kim" : "Unknown") };

const patient: Patient = {
  id: "p1",
  mrn: "100231",
  given_name: "Ann",
  family_name: "Smith",
  date_of_birth: "1980-02-03",
  sex: "female",
  phone: "555-0100",
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
  allergies: ["penicillin"],
  no_known_allergies: false,
  notes: null,
  first_seen_at: "2020-01-01",
  revision: 7,
  created_at: "2020-01-01T10:00:00Z",
  updated_at: "2020-01-01T10:00:00Z",
  deleted: false,
  replaced_by: null,
};

describe("conflict fields in words", () => {
  it("labels fields, also ones the forms do not name", () => {
    expect(fieldLabel("phone")).toBe("Phone");
    expect(fieldLabel("emergency_contact_phone")).toBe("Emergency contact phone");
    expect(fieldLabel("starts_at")).toBe("Start time");
    expect(fieldLabel("some_new_field")).toBe("Some new field");
  });
  it("formats values by field", () => {
    expect(formatFieldValue("phone", "555-0199", vc)).toBe("555-0199");
    expect(formatFieldValue("phone", null, vc)).toBe("(empty)");
    expect(formatFieldValue("email", "  ", vc)).toBe("(empty)");
    expect(formatFieldValue("allergies", [], vc)).toBe("None recorded");
    expect(formatFieldValue("allergies", ["latex", "penicillin"], vc)).toBe("latex, penicillin");
    expect(formatFieldValue("sex", "female", vc)).toBe("Female");
    expect(formatFieldValue("status", "checked_in", vc)).toBe("Checked in");
    expect(formatFieldValue("kind", "follow_up", vc)).toBe("Follow-up");
    expect(formatFieldValue("provider_id", "u1", vc)).toBe("Dr. Daniel Kim");
    // in the clinic's zone, not UTC
    expect(formatFieldValue("starts_at", "2024-11-04T14:00:00Z", vc)).toBe("2024-11-04 09:00");
    expect(formatFieldValue("duration_minutes", 20, vc)).toBe("20 min");
    expect(formatFieldValue("overbooked", true, vc)).toBe("Yes");
  });
  it("starts the inline editor from the value in the form it is typed", () => {
    expect(valueToInput("allergies", ["a", "b"], NY)).toBe("a, b");
    expect(valueToInput("phone", null, NY)).toBe("");
    expect(valueToInput("starts_at", "2024-11-04T14:00:00Z", NY)).toBe("2024-11-04 09:00");
    expect(editControl("sex")).toBe("sex");
    expect(editControl("notes")).toBe("textarea");
    expect(editControl("date_of_birth")).toBe("date");
    expect(editControl("phone")).toBe("text");
  });
});

describe("a new value typed for a conflict", () => {
  const today = "2024-07-13";
  const p = (f: string, t: string) => parseFieldInput(f, t, today, NY);
  it("checks it as the registration form does", () => {
    expect(p("phone", " 555-0123 ")).toEqual({ ok: true, value: "555-0123" });
    expect(p("phone", "12")).toEqual({ ok: false, error: "must have 5 to 20 digits (spaces, +, -, . and parentheses allowed)" });
    expect(p("email", "nope").ok).toBe(false);
    expect(p("given_name", " ")).toEqual({ ok: false, error: "is required" });
    expect(p("date_of_birth", "03.04.1990")).toEqual({ ok: true, value: "1990-04-03" });
    expect(p("date_of_birth", "2030-01-01")).toEqual({ ok: false, error: "cannot be in the future" });
    expect(p("sex", "male")).toEqual({ ok: true, value: "male" });
    expect(p("sex", "")).toEqual({ ok: false, error: "is required" });
    expect(p("first_seen_at", "2030-01-01").ok).toBe(false);
    expect(p("first_seen_at", "")).toEqual({ ok: true, value: null });
  });
  it("turns an emptied optional field into null and allergies into a list", () => {
    expect(p("phone", "")).toEqual({ ok: true, value: null });
    expect(p("notes", "  ")).toEqual({ ok: true, value: null });
    expect(p("allergies", "latex, Latex; nuts")).toEqual({ ok: true, value: ["latex", "nuts"] });
  });
  it("reads booking fields in clinic time", () => {
    expect(p("starts_at", "2024-11-04 9:00")).toEqual({ ok: true, value: "2024-11-04T14:00:00Z" });
    expect(p("starts_at", "tomorrow").ok).toBe(false);
    expect(p("duration_minutes", "20")).toEqual({ ok: true, value: 20 });
    expect(p("duration_minutes", "2").ok).toBe(false);
  });
});

describe("rebooking a refused booking", () => {
  it("starts from the refused booking, in clinic time", () => {
    expect(rebookDefaults({ starts_at: "2024-11-04T14:00:00Z", provider_id: "u1", duration_minutes: 20 }, NY)).toEqual({
      date: "2024-11-04",
      time: "09:00",
      provider_id: "u1",
      duration_minutes: "20",
    });
    expect(rebookDefaults(null, NY)).toEqual({ date: "", time: "", provider_id: "", duration_minutes: "15" });
  });
  it("builds the request with the start in UTC", () => {
    expect(buildRebook({ date: "2024-11-04", time: "1030", provider_id: "u1", duration_minutes: "30" }, NY)).toEqual({
      ok: true,
      starts_at: "2024-11-04T15:30:00Z",
      provider_id: "u1",
      duration_minutes: 30,
    });
  });
  it("names every wrong field", () => {
    const r = buildRebook({ date: "2024-02-30", time: "25:00", provider_id: "", duration_minutes: "600" }, NY);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(["date", "duration_minutes", "provider_id", "time"]);
  });
});

describe("refused changes", () => {
  it("says what a discard takes with it", () => {
    expect(discardText("Booking for Smith, Ann on 2024-11-04 09:00", [])).toBe(
      "Discard “Booking for Smith, Ann on 2024-11-04 09:00”? It will not be sent to the server. Nothing else waits for it.",
    );
    expect(discardText("Registration of Roe, Jo", [{ mutation_id: "m2", what: "Vital signs for Roe, Jo measured 2024-11-04 09:10" }])).toBe(
      "Discard “Registration of Roe, Jo”? It will not be sent to the server. This change waits for it and is discarded too: Vital signs for Roe, Jo measured 2024-11-04 09:10.",
    );
    expect(discardText("X", [{ mutation_id: "a", what: "A" }, { mutation_id: "b", what: "B" }])).toMatch(/These 2 changes wait for it and are discarded too: A; B\.$/);
  });
  it("offers rebooking for bookings and correcting for registrations", () => {
    expect(refusedKind("appointment", "create")).toBe("booking");
    expect(refusedKind("patient", "create")).toBe("registration");
    expect(refusedKind("patient", "update")).toBe("other");
    expect(refusedKind("vital_signs", "create")).toBe("other");
  });
  it("keys items stably and sums them up", () => {
    const dup: ReviewItem = { kind: "possible_duplicate", a: { ...patient, id: "z" }, b: { ...patient, id: "a" } };
    const dup2: ReviewItem = { kind: "possible_duplicate", a: { ...patient, id: "a" }, b: { ...patient, id: "z" } };
    expect(reviewKey(dup)).toBe(reviewKey(dup2));
    const conflict: ReviewItem = {
      kind: "field_conflict",
      id: "c1",
      entity: "patient",
      entity_id: "p1",
      title: "Smith, Ann (MRN 100231)",
      field: "phone",
      mine: "1",
      theirs: "2",
      changed_by: null,
      changed_at: null,
      mine_by_me: true,
      created_at: "2024-11-04T14:00:00Z",
    };
    expect(reviewKey(conflict)).toBe("c:c1");
    expect(reviewSummary([conflict, dup, dup2])).toBe("1 field changed on both sides · 2 possible duplicates");
  });
});

describe("editing a patient's details", () => {
  const today = "2024-07-13";
  it("fills the form from the record", () => {
    const v = patientFormValues(patient);
    expect(v.allergies).toBe("penicillin");
    expect(v.email).toBe("");
    expect(v.sex).toBe("female");
  });
  it("sends only the fields that changed", () => {
    const v = patientFormValues(patient);
    expect(patientChanges(patient, v, today)).toEqual({ ok: true, changes: {} });
    expect(patientChanges(patient, { ...v, phone: " 555-0199 " }, today)).toEqual({ ok: true, changes: { phone: "555-0199" } });
    // a field cleared is sent as null; allergies as the whole new list
    expect(patientChanges(patient, { ...v, address: "", allergies: "penicillin, latex" }, today)).toEqual({
      ok: true,
      changes: { address: null, allergies: ["penicillin", "latex"] },
    });
    // retyping the same value differently is no change
    expect(patientChanges(patient, { ...v, date_of_birth: "03.02.1980", given_name: " Ann " }, today)).toEqual({ ok: true, changes: {} });
  });
  it("refuses a bad value without sending anything", () => {
    const r = patientChanges(patient, { ...patientFormValues(patient), phone: "12", family_name: "" }, today);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(["family_name", "phone"]);
  });
});

describe("status bar", () => {
  it("asks to sign in again to send what waits", () => {
    expect(signInText(3)).toBe("Sign in again to send 3 changes");
    expect(signInText(1)).toBe("Sign in again to send 1 change");
    expect(signInText(0)).toBe("Sign in again");
  });
});
