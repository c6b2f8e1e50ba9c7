// What the printed pages say: a provider's day list, an appointment card for the patient, and a
// visit summary of vital signs with flags. Pure data (no DOM, no clock of their own), so each
// layout is tested as it will read on paper; screens/print.ts lays it out and opens the
// system print dialog (or Save as PDF).

import type { AppointmentRow } from "../bindings/AppointmentRow";
import type { Patient } from "../bindings/Patient";
import type { TenantInfo } from "../bindings/TenantInfo";
import type { VitalSigns } from "../bindings/VitalSigns";
import { RULES } from "../bindings/rules";
import { ageInYears, formatAge } from "./dates";
import { CONSCIOUSNESS_LABEL, KIND_LABEL, SEX_LABEL, STATUS_LABEL, patientName } from "./format";
import { utcToZoned } from "./tz";
import { formatLongDate, formatTime } from "./locale";
import { flagOf, news2HasRedScore, news2Risk, news2RiskText } from "./vitals";

/** A table on paper: a caption, its column heads and rows of text. */
export interface PrintTable {
  caption: string;
  head: string[];
  rows: string[][];
  /** Rows (by index) to print in bold: a flagged value. */
  marked?: number[];
}

/** One printed page. */
export interface PrintDoc {
  /** The page's heading. */
  title: string;
  /** Lines under it (the patient, the day). */
  lines: string[];
  tables: PrintTable[];
  /** Closing lines (the clinic's address and phone). */
  footer: string[];
}

/** The clinic's name, address lines and phone, as printed at the foot of a page. */
export function clinicLines(clinic: TenantInfo): string[] {
  return [clinic.name, ...(clinic.address ?? "").split("\n").map((l) => l.trim()).filter(Boolean), clinic.phone ? `Phone ${clinic.phone}` : ""].filter(Boolean);
}

function patientLine(p: Patient, on: string): string {
  const age = formatAge(p.date_of_birth, on);
  return `${patientName(p)} · MRN ${p.mrn} · born ${formatLongDate(p.date_of_birth)}${age ? ` (${age})` : ""} · ${SEX_LABEL[p.sex]}`;
}

/** A provider's day: every visit of `date` not cancelled, by time. */
export function dayListDoc(o: { clinic: TenantInfo; providerName: string; date: string; today: string; rows: readonly AppointmentRow[]; tz: string; printedAt: string }): PrintDoc {
  const rows = o.rows
    .filter((r) => r.appointment.record.status !== "cancelled")
    .sort((a, b) => Date.parse(a.appointment.record.starts_at) - Date.parse(b.appointment.record.starts_at));
  return {
    title: `${o.providerName} · ${formatLongDate(o.date)}`,
    lines: [`${rows.length} visit${rows.length === 1 ? "" : "s"} · printed ${o.printedAt}`],
    tables: [
      {
        caption: "Visits",
        head: ["Time", "Patient", "MRN", "Age / sex", "Visit", "Reason", "Status"],
        rows: rows.map((r) => {
          const a = r.appointment.record;
          const age = r.patient_date_of_birth ? formatAge(r.patient_date_of_birth, o.today) : "";
          return [
            `${formatTime(a.starts_at, o.tz)} (${a.duration_minutes} min)`,
            r.patient_name || "Unknown patient",
            r.patient_mrn,
            [age, r.patient_sex ? SEX_LABEL[r.patient_sex] : ""].filter(Boolean).join(" · "),
            KIND_LABEL[a.kind],
            a.reason ?? "",
            STATUS_LABEL[a.status],
          ];
        }),
      },
    ],
    footer: clinicLines(o.clinic),
  };
}

/** The patient's card: their next visits (still to come and not cancelled), and how to reach the clinic. */
export function appointmentCardDoc(o: { clinic: TenantInfo; patient: Patient; rows: readonly AppointmentRow[]; nowMs: number; tz: string }): PrintDoc {
  const next = o.rows
    .filter((r) => {
      const a = r.appointment.record;
      return a.status === "scheduled" && Date.parse(a.starts_at) >= o.nowMs;
    })
    .sort((a, b) => Date.parse(a.appointment.record.starts_at) - Date.parse(b.appointment.record.starts_at));
  // the number is printed once, with the clinic's address below
  const phone = o.clinic.phone ? " Please call us if you cannot come." : "";
  return {
    title: "Your next appointments",
    lines: [`${o.patient.given_name} ${o.patient.family_name} · born ${formatLongDate(o.patient.date_of_birth)}`],
    tables: [
      {
        caption: next.length === 0 ? "No appointment booked." : "Appointments",
        head: ["Date", "Time", "With", "Visit"],
        rows: next.map((r) => {
          const a = r.appointment.record;
          return [formatLongDate(utcToZoned(a.starts_at, o.tz).date), formatTime(a.starts_at, o.tz), r.provider_name, KIND_LABEL[a.kind]];
        }),
      },
    ],
    footer: [...clinicLines(o.clinic), `Please arrive 10 minutes early.${phone}`],
  };
}

function vitalRows(v: VitalSigns, tempUnit: "C" | "F"): { rows: string[][]; marked: number[] } {
  const rows: string[][] = [];
  const marked: number[] = [];
  // absent readings arrive as null from the cache (the generated type says optional)
  const add = (label: string, value: string | null, field: string | null) => {
    if (value === null) return;
    const flag = field ? flagOf(v.flags, field) : null;
    if (flag) marked.push(rows.length);
    rows.push([label, value, flag === "high" ? "High" : flag === "low" ? "Low" : ""]);
  };
  add("Blood pressure (mmHg)", typeof v.systolic_mmhg === "number" && typeof v.diastolic_mmhg === "number" ? `${v.systolic_mmhg}/${v.diastolic_mmhg}` : null, null);
  // a blood pressure is flagged by either number
  const bp = flagOf(v.flags, "systolic_mmhg") ?? flagOf(v.flags, "diastolic_mmhg");
  if (bp && rows.length > 0 && rows[rows.length - 1]?.[0]?.startsWith("Blood pressure")) {
    const last = rows[rows.length - 1];
    if (last) last[2] = bp === "high" ? "High" : "Low";
    marked.push(rows.length - 1);
  }
  add("Heart rate (beats/min)", typeof v.heart_rate_bpm === "number" ? String(v.heart_rate_bpm) : null, "heart_rate_bpm");
  add("Respiratory rate (breaths/min)", typeof v.respiratory_rate_bpm === "number" ? String(v.respiratory_rate_bpm) : null, "respiratory_rate_bpm");
  add(
    `Temperature (°${tempUnit})`,
    typeof v.temperature_c === "number" ? (tempUnit === "F" ? ((v.temperature_c * 9) / 5 + 32).toFixed(1) : v.temperature_c.toFixed(1)) : null,
    "temperature_c",
  );
  add("SpO2 (%)", typeof v.spo2_pct === "number" ? `${v.spo2_pct}${v.on_oxygen ? " on oxygen" : ""}` : null, "spo2_pct");
  add("Consciousness (ACVPU)", v.consciousness ? CONSCIOUSNESS_LABEL[v.consciousness] : null, "consciousness");
  add("Weight (kg)", typeof v.weight_kg === "number" ? v.weight_kg.toFixed(1) : null, "weight_kg");
  add("Height (cm)", typeof v.height_cm === "number" ? v.height_cm.toFixed(1) : null, "height_cm");
  add("Pain (0–10)", typeof v.pain_score === "number" ? String(v.pain_score) : null, "pain_score");
  if (v.news2 !== null) {
    // the risk band as the chart shows it (vitals.rs news2_risk, RCP 2017 chart 2)
    const risk = news2Risk(v.news2, news2HasRedScore(v));
    rows.push(["NEWS2 (RCP 2017)", String(v.news2), risk === "low" ? "" : `${news2RiskText(risk).label} risk`]);
    if (risk !== "low") marked.push(rows.length - 1);
  }
  return { rows, marked: [...new Set(marked)] };
}

/**
 * The visit summary: every vital-sign set of the patient's latest day of readings (clinic
 * time zone), each with its values, flags and NEWS2 (adults). Empty tables when there is none.
 */
export function visitSummaryDoc(o: { clinic: TenantInfo; patient: Patient; vitals: readonly VitalSigns[]; today: string; tz: string; tempUnit: "C" | "F" }): PrintDoc {
  const sorted = [...o.vitals].sort((a, b) => Date.parse(b.measured_at) - Date.parse(a.measured_at));
  const latest = sorted[0];
  const day = latest ? utcToZoned(latest.measured_at, o.tz).date : null;
  const sets = day ? sorted.filter((v) => utcToZoned(v.measured_at, o.tz).date === day).reverse() : [];
  const age = day ? ageInYears(o.patient.date_of_birth, day) : null;
  const child = age !== null && age < RULES.adult_from_age;
  return {
    title: "Visit summary · vital signs",
    lines: [
      // the age the patient was on the day of the readings
      patientLine(o.patient, day ?? o.today),
      day ? `Readings of ${formatLongDate(day)}` : "No vital signs recorded.",
      ...(day && child ? [`NEWS2 is not used under ${RULES.adult_from_age} (RCP 2017).`] : []),
    ],
    tables: sets.map((v) => {
      const r = vitalRows(v, o.tempUnit);
      return { caption: `Measured at ${formatTime(v.measured_at, o.tz)}`, head: ["Measure", "Value", "Flag"], rows: r.rows, marked: r.marked };
    }),
    footer: clinicLines(o.clinic),
  };
}
