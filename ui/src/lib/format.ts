// Words and small formatting shared by the screens.

import type { AdministrativeSex } from "../bindings/AdministrativeSex";
import type { AppointmentKind } from "../bindings/AppointmentKind";
import type { AppointmentStatus } from "../bindings/AppointmentStatus";
import type { Consciousness } from "../bindings/Consciousness";
import type { IdentifierKind } from "../bindings/IdentifierKind";
import type { KinRelationship } from "../bindings/KinRelationship";
import type { Patient } from "../bindings/Patient";
import type { PatientIdentifier } from "../bindings/PatientIdentifier";
import type { Role } from "../bindings/Role";

export const SEX_LABEL: Record<AdministrativeSex, string> = {
  female: "Female",
  male: "Male",
  other: "Other",
  unknown: "Unknown",
};

export const ROLE_LABEL: Record<Role, string> = {
  admin: "Administrator",
  physician: "Physician",
  nurse: "Nurse",
  receptionist: "Receptionist",
};

export const KIND_LABEL: Record<AppointmentKind, string> = {
  new_patient: "New patient",
  follow_up: "Follow-up",
  consultation: "Consultation",
  vitals_check: "Vitals check",
  procedure: "Procedure",
  telehealth: "Telehealth",
  other: "Other",
};

export const STATUS_LABEL: Record<AppointmentStatus, string> = {
  scheduled: "Scheduled",
  checked_in: "Checked in",
  in_progress: "In progress",
  completed: "Completed",
  cancelled: "Cancelled",
  no_show: "No-show",
};

export const CONSCIOUSNESS_LABEL: Record<Consciousness, string> = {
  alert: "A: Alert",
  confused: "C: New confusion",
  voice: "V: Responds to voice",
  pain: "P: Responds to pain",
  unresponsive: "U: Unresponsive",
};

/** Identifier kinds as the front desk names them (HL7 v2-0203 NI, SS, MB, PPN, DL). */
export const IDENTIFIER_KIND_LABEL: Record<IdentifierKind, string> = {
  national_id: "National ID",
  social_security: "Social security number",
  insurance_member: "Insurance member number",
  passport: "Passport",
  drivers_license: "Driver's licence",
};

/** Next-of-kin relationships (HL7 v3 RoleCode). */
export const KIN_LABEL: Record<KinRelationship, string> = {
  spouse: "Spouse",
  partner: "Partner",
  parent: "Parent",
  child: "Child",
  sibling: "Sibling",
  guardian: "Legal guardian",
  other_relative: "Other relative",
  friend: "Friend",
};

/** Issuers known by URI, named as people say them (the URIs Synthea and FHIR use). */
const KNOWN_ISSUERS: Record<string, string> = {
  "http://hl7.org/fhir/sid/us-ssn": "United States",
  "http://hl7.org/fhir/sid/passport-USA": "United States",
  "urn:oid:2.16.840.1.113883.4.3.25": "Massachusetts",
  "https://fhir.nhs.uk/Id/nhs-number": "NHS England",
};

/** Who issued an identifier, in words: a known URI's name, else as typed. */
export function issuerName(system: string | null | undefined): string {
  if (!system) return "";
  return KNOWN_ISSUERS[system] ?? system;
}

/**
 * "Insurance member number XJH 100200 (Blue Cross MA)"; a social security number shows its last
 * four digits only ("Social security number •••-••-5017"), as on anything read over a shoulder at
 * a front desk; the patient's form shows it whole for checking against the card.
 */
export function identifierText(i: PatientIdentifier): string {
  const issuer = issuerName(i.system);
  const value = i.kind === "social_security" ? `•••-••-${i.value.replace(/[^0-9]/g, "").slice(-4)}` : i.value;
  return `${IDENTIFIER_KIND_LABEL[i.kind]} ${value}${issuer ? ` (${issuer})` : ""}`;
}

/** The address as written on an envelope: street lines, "City, ST 01234", country. */
export function addressLines(p: Pick<Patient, "address" | "city" | "state" | "postal_code" | "country">): string[] {
  const place = [p.city, [p.state, p.postal_code].filter(Boolean).join(" ")].filter(Boolean).join(", ");
  return [...(p.address ?? "").split("\n"), place, p.country ?? ""].map((l) => l.trim()).filter(Boolean);
}

/** "Family, Given". */
export function patientName(p: Pick<Patient, "family_name" | "given_name">): string {
  return `${p.family_name}, ${p.given_name}`;
}

/** Human words for a wire field name ("systolic_mmhg" → "Systolic"), for summaries. */
export const FIELD_LABEL: Record<string, string> = {
  systolic_mmhg: "Systolic BP",
  diastolic_mmhg: "Diastolic BP",
  heart_rate_bpm: "Heart rate",
  respiratory_rate_bpm: "Respiratory rate",
  temperature_c: "Temperature",
  spo2_pct: "SpO2",
  on_oxygen: "Oxygen",
  consciousness: "Consciousness",
  weight_kg: "Weight",
  height_cm: "Height",
  pain_score: "Pain",
  bmi: "BMI",
  given_name: "Given name",
  family_name: "Family name",
  date_of_birth: "Date of birth",
  sex: "Sex",
  phone: "Phone",
  email: "E-mail",
  address: "Street address",
  city: "City",
  state: "State or region",
  postal_code: "Postal code",
  country: "Country",
  preferred_language: "Preferred language",
  interpreter_required: "Interpreter",
  emergency_contact_name: "Emergency contact",
  emergency_contact_phone: "Emergency phone",
  next_of_kin_name: "Next of kin",
  next_of_kin_relationship: "Relationship",
  next_of_kin_phone: "Next of kin's phone",
  identifiers: "Identifiers",
  allergies: "Allergies",
  no_known_allergies: "No known allergies",
  notes: "Notes",
  measured_at: "Measured at",
  patient_id: "Patient",
  provider_id: "Provider",
  starts_at: "Start",
  duration_minutes: "Duration",
  kind: "Kind",
  reason: "Reason",
  note: "Note",
};

/** "Systolic BP must be between 40 and 300 mmHg" style summary of field errors. */
export function summarizeFieldErrors(fields: Record<string, string[] | undefined>): string {
  return Object.entries(fields)
    .flatMap(([f, msgs]) => (msgs ?? []).map((m) => `${FIELD_LABEL[f] ?? f} ${m}`))
    .join("; ");
}
