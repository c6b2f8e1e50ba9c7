import { describe, expect, it } from "vitest";
import type { AppointmentRow } from "../bindings/AppointmentRow";
import type { Patient } from "../bindings/Patient";
import type { TenantInfo } from "../bindings/TenantInfo";
import type { VitalSigns } from "../bindings/VitalSigns";
import { appointmentCardDoc, clinicLines, dayListDoc, visitSummaryDoc } from "./print";

const NY = "America/New_York";
const clinic: TenantInfo = {
  id: "t",
  code: "demo",
  name: "Riverside Family Clinic",
  time_zone: NY,
  require_admin_totp: false,
  max_users: null,
  max_patients: null,
  address: "12 River Road\nSpringfield, MA 01101",
  phone: "+1 413 555 0100",
  date_order: "year_month_day",
  hour_cycle: "h23",
  week_start: "monday",
};
const patient = {
  id: "p1",
  mrn: "000001",
  given_name: "Maynard",
  family_name: "Mosciski",
  date_of_birth: "2014-10-06",
  sex: "male",
} as Patient;

function row(startsAt: string, status: AppointmentRow["appointment"]["record"]["status"], reason: string | null = null): AppointmentRow {
  return {
    appointment: {
      record: {
        id: startsAt,
        patient_id: "p1",
        provider_id: "u1",
        starts_at: startsAt,
        duration_minutes: 20,
        kind: "follow_up",
        status,
        reason,
        notes: null,
        overbooked: false,
        outside_hours_reason: null,
        room_id: null,
        series_id: null,
        visit_type_id: null,
        checked_in_at: null,
        revision: 1,
        deleted: false,
      },
      pending: false,
      rejected: null,
      held: null,
    },
    patient_name: "Mosciski, Maynard",
    patient_mrn: "000001",
    provider_name: "Dr. Daniel Kim",
    patient_date_of_birth: "2014-10-06",
    patient_sex: "male",
  };
}

describe("printed pages", () => {
  it("end with the clinic's name, address lines and phone", () => {
    expect(clinicLines(clinic)).toEqual(["Riverside Family Clinic", "12 River Road", "Springfield, MA 01101", "Phone +1 413 555 0100"]);
    expect(clinicLines({ ...clinic, address: null, phone: null })).toEqual(["Riverside Family Clinic"]);
  });

  it("a provider's day lists the visits by time in the clinic's zone, without the cancelled ones", () => {
    const d = dayListDoc({
      clinic,
      providerName: "Dr. Daniel Kim",
      date: "2026-12-07",
      today: "2026-12-07",
      tz: NY,
      printedAt: "07:55",
      rows: [row("2026-12-07T15:00:00Z", "scheduled", "Cough"), row("2026-12-07T14:00:00Z", "checked_in"), row("2026-12-07T16:00:00Z", "cancelled")],
    });
    expect(d.title).toBe("Dr. Daniel Kim · Monday 7 December 2026");
    expect(d.lines).toEqual(["2 visits · printed 07:55"]);
    expect(d.tables[0]?.rows.map((r) => r[0])).toEqual(["09:00 (20 min)", "10:00 (20 min)"]);
    expect(d.tables[0]?.rows[1]).toEqual(["10:00 (20 min)", "Mosciski, Maynard", "000001", "12 y · Male", "Follow-up", "Cough", "Scheduled"]);
  });

  it("the appointment card lists only visits still to come, and how to reach the clinic", () => {
    const d = appointmentCardDoc({
      clinic,
      patient,
      tz: NY,
      nowMs: Date.parse("2026-12-07T12:00:00Z"),
      rows: [row("2026-12-14T15:00:00Z", "scheduled"), row("2026-12-01T15:00:00Z", "completed"), row("2026-12-21T15:00:00Z", "cancelled")],
    });
    expect(d.tables[0]?.rows).toEqual([["Monday 14 December 2026", "10:00", "Dr. Daniel Kim", "Follow-up"]]);
    expect(d.footer[d.footer.length - 1]).toBe("Please arrive 10 minutes early. Please call us if you cannot come.");
    const none = appointmentCardDoc({ clinic, patient, tz: NY, nowMs: 0, rows: [] });
    expect(none.tables[0]?.caption).toBe("No appointment booked.");
  });

  it("the visit summary prints the latest day's sets with their flags and NEWS2", () => {
    const base = { patient_id: "p1", recorded_by: "u", notes: null, entered_offline: false, status: "final" as const, correction: null, revision: 1, created_at: "2026-12-07T15:00:00Z" };
    const vitals: VitalSigns[] = [
      { ...base, id: "old", measured_at: "2026-11-01T15:00:00Z", flags: [], news2: 0, heart_rate_bpm: 70 },
      { ...base, id: "v1", measured_at: "2026-12-07T15:10:00Z", flags: ["systolic_mmhg:high", "spo2_pct:low"], news2: 5, systolic_mmhg: 168, diastolic_mmhg: 95, spo2_pct: 91, temperature_c: 37.2 },
    ];
    const d = visitSummaryDoc({ clinic, patient, vitals, today: "2026-12-07", tz: NY, tempUnit: "C" });
    expect(d.lines[1]).toBe("Readings of Monday 7 December 2026");
    // a 12-year-old: said why there is no NEWS2
    expect(d.lines[2]).toMatch(/^NEWS2 is not used under 16 \(RCP 2017\)/);
    expect(d.tables).toHaveLength(1);
    const t = d.tables[0];
    expect(t?.caption).toBe("Measured at 10:10");
    expect(t?.rows).toEqual([
      ["Blood pressure (mmHg)", "168/95", "High"],
      ["Temperature (°C)", "37.2", ""],
      ["SpO2 (%)", "91", "Low"],
      ["NEWS2 (RCP 2017)", "5", "Medium risk"],
    ]);
    expect(t?.marked).toEqual([0, 2, 3]);
    expect(visitSummaryDoc({ clinic, patient, vitals, today: "2026-12-07", tz: NY, tempUnit: "F" }).tables[0]?.rows[1]).toEqual(["Temperature (°F)", "99.0", ""]);
    // absent readings come from the cache as null, not left out
    const fromCache = JSON.parse(JSON.stringify({ ...base, id: "n", measured_at: "2026-12-08T15:00:00Z", flags: [], news2: null, heart_rate_bpm: 80, temperature_c: null, weight_kg: null })) as VitalSigns;
    expect(visitSummaryDoc({ clinic, patient, vitals: [fromCache], today: "2026-12-08", tz: NY, tempUnit: "C" }).tables[0]?.rows).toEqual([["Heart rate (beats/min)", "80", ""]]);
  });
});
