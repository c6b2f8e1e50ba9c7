// Words and small formatting shared by the screens.

import type { AdministrativeSex } from "../bindings/AdministrativeSex";
import type { AppointmentKind } from "../bindings/AppointmentKind";
import type { AppointmentStatus } from "../bindings/AppointmentStatus";
import type { Consciousness } from "../bindings/Consciousness";
import type { Patient } from "../bindings/Patient";
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
  address: "Address",
  emergency_contact_name: "Emergency contact",
  emergency_contact_phone: "Emergency phone",
  allergies: "Allergies",
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
