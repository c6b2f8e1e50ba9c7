// Registration form → `NewPatient`, with the checks of `validate_demographics` in
// crates/model/src/patient.rs made before anything is sent.

import type { AdministrativeSex } from "../bindings/AdministrativeSex";
import type { NewPatient } from "../bindings/NewPatient";
import type { Patient } from "../bindings/Patient";
import { RULES } from "../bindings/rules";
import { checkDateOfBirth } from "./dates";
import { showDate } from "./locale";

/** The form's fields as typed. */
export interface PatientFormValues {
  given_name: string;
  family_name: string;
  date_of_birth: string;
  sex: string;
  phone: string;
  email: string;
  address: string;
  emergency_contact_name: string;
  emergency_contact_phone: string;
  allergies: string;
  notes: string;
}

export const SEXES: ReadonlyArray<[AdministrativeSex, string]> = [
  ["female", "Female"],
  ["male", "Male"],
  ["other", "Other"],
  ["unknown", "Unknown"],
];

/** `is_plausible_phone`: 5–20 digits with only `+ - . ( )` and spaces around them. */
export function isPlausiblePhone(p: string): boolean {
  const digits = (p.match(/[0-9]/g) ?? []).length;
  return digits >= 5 && digits <= 20 && /^[0-9+\-.() ]*$/.test(p);
}

/** The e-mail rule of the model: something@domain.with-a-dot, at most 254 characters. */
export function isPlausibleEmail(m: string): boolean {
  if (m.length > 254) return false;
  const at = m.indexOf("@");
  if (at <= 0) return false;
  const domain = m.slice(at + 1);
  return domain.includes(".") && !domain.startsWith(".");
}

/** Comma- or semicolon-separated allergies, trimmed, empties dropped, duplicates once. */
export function parseAllergies(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[,;\n]/)) {
    const a = raw.trim();
    if (a && !out.some((x) => x.toLowerCase() === a.toLowerCase())) out.push(a);
  }
  return out;
}

export type PatientFormResult =
  | { ok: true; patient: NewPatient }
  | { ok: false; errors: Record<string, string[]> };

/** Checks the form against `today` (clinic date) and builds the body to send. */
export function buildNewPatient(v: PatientFormValues, today: string, id?: string): PatientFormResult {
  const errors: Record<string, string[]> = {};
  const add = (f: string, m: string) => (errors[f] ??= []).push(m);
  const given = v.given_name.trim();
  const family = v.family_name.trim();
  for (const [field, value] of [
    ["given_name", given],
    ["family_name", family],
  ] as const) {
    const n = [...value].length;
    if (n === 0) add(field, "is required");
    else if (n > 100) add(field, "must be at most 100 characters");
  }
  const dob = checkDateOfBirth(v.date_of_birth, today);
  if (!dob.ok) add("date_of_birth", dob.error);
  const sex = SEXES.find(([s]) => s === v.sex)?.[0];
  if (!sex) add("sex", "is required");
  const opt = (s: string) => {
    const t = s.trim();
    return t === "" ? undefined : t;
  };
  const phone = opt(v.phone);
  const email = opt(v.email);
  const ecPhone = opt(v.emergency_contact_phone);
  if (phone !== undefined && !isPlausiblePhone(phone))
    add("phone", "must have 5 to 20 digits (spaces, +, -, . and parentheses allowed)");
  if (ecPhone !== undefined && !isPlausiblePhone(ecPhone))
    add("emergency_contact_phone", "must have 5 to 20 digits (spaces, +, -, . and parentheses allowed)");
  if (email !== undefined && !isPlausibleEmail(email)) add("email", "is not an e-mail address");
  if (Object.keys(errors).length > 0 || !dob.ok || !sex) return { ok: false, errors };
  const patient: NewPatient = {
    given_name: given,
    family_name: family,
    date_of_birth: dob.date,
    sex,
  };
  if (id) patient.id = id;
  if (phone !== undefined) patient.phone = phone;
  if (email !== undefined) patient.email = email;
  const address = opt(v.address);
  if (address !== undefined) patient.address = address;
  const ecName = opt(v.emergency_contact_name);
  if (ecName !== undefined) patient.emergency_contact_name = ecName;
  if (ecPhone !== undefined) patient.emergency_contact_phone = ecPhone;
  const allergies = parseAllergies(v.allergies);
  if (allergies.length > 0) patient.allergies = allergies;
  const notes = opt(v.notes);
  if (notes !== undefined) patient.notes = notes;
  return { ok: true, patient };
}

/** The form's fields filled from a record (or a queued registration), to edit it. */
export function patientFormValues(p: Partial<Omit<Patient, "sex">> & { sex?: string | null }): PatientFormValues {
  const s = (v: string | null | undefined) => v ?? "";
  return {
    given_name: s(p.given_name),
    family_name: s(p.family_name),
    date_of_birth: showDate(s(p.date_of_birth)),
    sex: s(p.sex),
    phone: s(p.phone),
    email: s(p.email),
    address: s(p.address),
    emergency_contact_name: s(p.emergency_contact_name),
    emergency_contact_phone: s(p.emergency_contact_phone),
    allergies: (p.allergies ?? []).join(", "),
    notes: s(p.notes),
  };
}

/** A field of the form that an edit can change. */
export type EditableField = keyof PatientFormValues & keyof Patient & keyof NewPatient;

const FORM_FIELDS: ReadonlySet<string> = new Set(Object.keys(patientFormValues({})));

/**
 * Fields of the form an edit can change, by wire name: the model's `PATIENT_EDITABLE_FIELDS`
 * that the form has (the first-visit date is not on it).
 */
export const EDITABLE_FIELDS: readonly EditableField[] = RULES.patient_editable_fields.filter((f): f is EditableField => FORM_FIELDS.has(f));

export type PatientChanges =
  | { ok: true; changes: Record<string, unknown> }
  | { ok: false; errors: Record<string, string[]> };

/**
 * Checks an edit of `original` and returns only the fields that changed, in wire form (a
 * cleared optional field is `null`). An empty `changes` means nothing was changed. Sending
 * only these lets the server merge them with what others changed meanwhile.
 */
export function patientChanges(original: Patient, v: PatientFormValues, today: string): PatientChanges {
  const r = buildNewPatient(v, today);
  if (!r.ok) return r;
  const next = r.patient;
  const changes: Record<string, unknown> = {};
  for (const f of EDITABLE_FIELDS) {
    if (f === "allergies") {
      const a = next.allergies ?? [];
      const b = original.allergies;
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) changes.allergies = a;
      continue;
    }
    const now = next[f] ?? null;
    const before = original[f] ?? null;
    if (now !== before) changes[f] = now;
  }
  return { ok: true, changes };
}
