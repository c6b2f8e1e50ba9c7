// Registration form → `NewPatient`, with the checks of `validate_demographics` in
// crates/model/src/patient.rs made before anything is sent.

import type { AdministrativeSex } from "../bindings/AdministrativeSex";
import type { IdentifierKind } from "../bindings/IdentifierKind";
import type { KinRelationship } from "../bindings/KinRelationship";
import type { PatientIdentifier } from "../bindings/PatientIdentifier";
import type { NewPatient } from "../bindings/NewPatient";
import type { Patient } from "../bindings/Patient";
import { RULES } from "../bindings/rules";
import { checkDateOfBirth } from "./dates";
import { IDENTIFIER_KIND_LABEL, KIN_LABEL } from "./format";
import { isLanguageTag } from "./languages";
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
  city: string;
  state: string;
  postal_code: string;
  country: string;
  /** BCP 47 tag, or "". */
  preferred_language: string;
  /** "yes" when an interpreter is needed, else "". */
  interpreter_required: string;
  emergency_contact_name: string;
  emergency_contact_phone: string;
  next_of_kin_name: string;
  next_of_kin_relationship: string;
  next_of_kin_phone: string;
  /** The identifier rows as JSON (`IdentifierRow[]`), as the editor keeps them. */
  identifiers: string;
  allergies: string;
  /** "yes" when asked and no allergy is known, else "". */
  no_known_allergies: string;
  notes: string;
}

/** One identifier row of the form as typed. */
export interface IdentifierRow {
  kind: IdentifierKind;
  system: string;
  value: string;
}

export const IDENTIFIER_KINDS = Object.keys(IDENTIFIER_KIND_LABEL) as IdentifierKind[];
export const KIN_RELATIONSHIPS = Object.keys(KIN_LABEL) as KinRelationship[];

/** The search key of an identifier: the model's `identifier_key` (letters upper-cased, digits). */
export function identifierKey(value: string): string {
  return value.replace(/[^A-Za-z0-9]/g, "").toUpperCase();
}

/** The editor's JSON back to rows (anything unreadable is no rows). */
export function identifierRows(json: string): IdentifierRow[] {
  try {
    const v: unknown = JSON.parse(json || "[]");
    if (!Array.isArray(v)) return [];
    return v
      .filter((r): r is Record<string, unknown> => typeof r === "object" && r !== null)
      .map((r) => ({
        kind: IDENTIFIER_KINDS.includes(r.kind as IdentifierKind) ? (r.kind as IdentifierKind) : "national_id",
        system: typeof r.system === "string" ? r.system : "",
        value: typeof r.value === "string" ? r.value : "",
      }));
  } catch {
    return [];
  }
}

/**
 * Rows to the wire's identifiers with the model's checks (`validate_demographics`): blank rows
 * dropped, at most 20, each value with letters or digits and at most 64 characters, an insurer
 * for an insurance member number, no repeats. Errors name the row ("number 2: …").
 */
export function buildIdentifiers(rows: readonly IdentifierRow[]): { ok: true; identifiers: PatientIdentifier[] } | { ok: false; errors: string[] } {
  const out: PatientIdentifier[] = [];
  const errors: string[] = [];
  for (const [i, r] of rows.entries()) {
    const value = r.value.trim();
    const system = r.system.trim();
    if (!value) continue;
    // numbered as the rows stand on screen, blank ones counted, so the editor marks the right one
    const n = i + 1;
    if (value.length > 64 || identifierKey(value) === "") errors.push(`number ${n}: the value must have letters or digits, at most 64 characters`);
    if (system.length > 200) errors.push(`number ${n}: the issuer must be at most 200 characters`);
    if (r.kind === "insurance_member" && !system) errors.push(`number ${n}: an insurance member number needs the insurer`);
    if (out.some((o) => o.kind === r.kind && (o.system ?? "") === system && identifierKey(o.value) === identifierKey(value))) errors.push(`number ${n} repeats an earlier one`);
    out.push({ kind: r.kind, system: system || null, value });
  }
  if (out.length > 20) errors.push("at most 20 identifiers");
  return errors.length > 0 ? { ok: false, errors } : { ok: true, identifiers: out };
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
  const kinPhone = opt(v.next_of_kin_phone);
  const kinName = opt(v.next_of_kin_name);
  const kinRel = KIN_RELATIONSHIPS.find((k) => k === v.next_of_kin_relationship);
  for (const [field, value] of [
    ["phone", phone],
    ["emergency_contact_phone", ecPhone],
    ["next_of_kin_phone", kinPhone],
  ] as const) {
    if (value !== undefined && !isPlausiblePhone(value)) add(field, "must have 5 to 20 digits (spaces, +, -, . and parentheses allowed)");
  }
  if ((kinRel || kinPhone !== undefined) && kinName === undefined) add("next_of_kin_name", "is required with a relationship or phone");
  const language = opt(v.preferred_language);
  if (language !== undefined && !isLanguageTag(language)) add("preferred_language", "must be a language code such as es, pt-BR or zh-Hant (BCP 47)");
  // the new text fields' lengths are held by the inputs' maxlength; the core checks them again
  const ids = buildIdentifiers(identifierRows(v.identifiers));
  if (!ids.ok) for (const m of ids.errors) add("identifiers", m);
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
  const city = opt(v.city);
  if (city !== undefined) patient.city = city;
  const state = opt(v.state);
  if (state !== undefined) patient.state = state;
  const postal = opt(v.postal_code);
  if (postal !== undefined) patient.postal_code = postal;
  const country = opt(v.country);
  if (country !== undefined) patient.country = country;
  if (language !== undefined) patient.preferred_language = language;
  if (v.interpreter_required === "yes") patient.interpreter_required = true;
  if (kinName !== undefined) patient.next_of_kin_name = kinName;
  if (kinRel) patient.next_of_kin_relationship = kinRel;
  if (kinPhone !== undefined) patient.next_of_kin_phone = kinPhone;
  if (ids.ok && ids.identifiers.length > 0) patient.identifiers = ids.identifiers;
  const allergies = parseAllergies(v.allergies);
  if (allergies.length > 0) patient.allergies = allergies;
  // "none known" is said only of an empty list: a listed allergy makes it moot
  else if (v.no_known_allergies === "yes") patient.no_known_allergies = true;
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
    city: s(p.city),
    state: s(p.state),
    postal_code: s(p.postal_code),
    country: s(p.country),
    preferred_language: s(p.preferred_language),
    interpreter_required: p.interpreter_required ? "yes" : "",
    emergency_contact_name: s(p.emergency_contact_name),
    emergency_contact_phone: s(p.emergency_contact_phone),
    next_of_kin_name: s(p.next_of_kin_name),
    next_of_kin_relationship: s(p.next_of_kin_relationship),
    next_of_kin_phone: s(p.next_of_kin_phone),
    identifiers: JSON.stringify((p.identifiers ?? []).map((i) => ({ kind: i.kind, system: i.system ?? "", value: i.value }))),
    allergies: (p.allergies ?? []).join(", "),
    no_known_allergies: p.no_known_allergies ? "yes" : "",
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
    if (f === "identifiers") {
      const a = next.identifiers ?? [];
      if (JSON.stringify(a) !== JSON.stringify(original.identifiers.map((i) => ({ kind: i.kind, system: i.system, value: i.value })))) changes.identifiers = a;
      continue;
    }
    if (f === "no_known_allergies") {
      if ((next.no_known_allergies ?? false) !== (original.no_known_allergies ?? false)) changes.no_known_allergies = next.no_known_allergies ?? false;
      continue;
    }
    if (f === "interpreter_required") {
      if ((next.interpreter_required ?? false) !== original.interpreter_required) changes.interpreter_required = next.interpreter_required ?? false;
      continue;
    }
    const now = next[f] ?? null;
    const before = original[f] ?? null;
    if (now !== before) changes[f] = now;
  }
  return { ok: true, changes };
}
