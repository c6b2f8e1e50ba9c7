import { describe, expect, it } from "vitest";
import { toCommandError } from "../api";
import type { AppointmentRow } from "../bindings/AppointmentRow";
import type { StaffMember } from "../bindings/StaffMember";
import { clashText, suggestedTime } from "./book";
import { loginErrorText } from "./login";
import { providers, timeSpan } from "./schedule";
import { bmiCategory, parseMeasuredAt } from "./vitals";
import { unsentText } from "./workstation";
import { DEFAULT_IDLE_MINUTES, loadIdleMinutes, parseIdleMinutes, saveIdleMinutes } from "../lib/idle";

const NY = "America/New_York";

describe("measured-at as typed in clinic time", () => {
  const now = Date.parse("2024-07-15T14:00:00Z"); // 10:00 in New York
  it("reads date and time in the clinic's zone", () => {
    expect(parseMeasuredAt("2024-07-15 09:45", NY, now)).toEqual({ ok: true, instant: "2024-07-15T13:45:00Z" });
    expect(parseMeasuredAt("2024-07-15T0945", NY, now)).toEqual({ ok: true, instant: "2024-07-15T13:45:00Z" });
  });
  it("allows five minutes of clock skew, refuses the future", () => {
    expect(parseMeasuredAt("2024-07-15 10:05", NY, now).ok).toBe(true);
    expect(parseMeasuredAt("2024-07-15 10:06", NY, now)).toEqual({ ok: false, error: "cannot be in the future" });
  });
  it("refuses what is not a date and time", () => {
    expect(parseMeasuredAt("yesterday", NY, now).ok).toBe(false);
    expect(parseMeasuredAt("2024-02-30 09:00", NY, now)).toEqual({ ok: false, error: "has a date that is not a real date" });
  });
});

describe("booking helpers", () => {
  it("suggests the next quarter hour today, 09:00 on other days", () => {
    expect(suggestedTime("2024-07-15", NY, Date.parse("2024-07-15T14:07:00Z"))).toBe("10:15");
    expect(suggestedTime("2024-07-15", NY, Date.parse("2024-07-15T14:00:00Z"))).toBe("10:15");
    expect(suggestedTime("2024-07-15", NY, Date.parse("2024-07-15T13:59:00Z"))).toBe("10:00");
    expect(suggestedTime("2024-07-16", NY, Date.parse("2024-07-15T14:07:00Z"))).toBe("09:00");
  });
  it("names a clashing booking with its times in the clinic zone", () => {
    const row: AppointmentRow = {
      appointment: {
        record: {
          id: "a1",
          patient_id: "p1",
          provider_id: "u1",
          starts_at: "2024-11-04T14:00:00Z",
          duration_minutes: 30,
          kind: "follow_up",
          status: "checked_in",
          reason: null,
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
      patient_name: "Alvarez, Maria",
      patient_mrn: "100231",
      provider_name: "Dr. Priya Shah",
      patient_date_of_birth: "1970-02-03",
      patient_sex: "female",
    };
    expect(clashText(row, NY)).toBe("09:00–09:30 Alvarez, Maria (MRN 100231) with Dr. Priya Shah, checked in");
    expect(timeSpan("2024-11-04T14:50:00Z", 20, NY)).toBe("09:50–10:10");
  });
  it("offers active physicians and nurses as providers, by name", () => {
    const s = (full_name: string, role: StaffMember["role"], active = true): StaffMember => ({
      id: full_name,
      username: full_name,
      full_name,
      role,
      active,
      revision: 1,
    });
    const list = providers([s("Zed", "physician"), s("Amy", "nurse"), s("Rae", "receptionist"), s("Old", "physician", false), s("Ann", "admin")]);
    expect(list.map((x) => x.full_name)).toEqual(["Amy", "Zed"]);
  });
});

describe("errors", () => {
  it("keeps a CommandError from the core and wraps Tauri's plain strings", () => {
    const fields = { systolic_mmhg: ["must be between 40 and 300 mmHg"] };
    expect(toCommandError({ code: "validation", message: "Please correct", fields, conflicting_appointment_id: null })).toEqual({
      code: "validation",
      message: "Please correct",
      fields,
      conflicting_appointment_id: null,
    });
    expect(toCommandError("command search_patients not found")).toEqual({
      code: "internal",
      message: "command search_patients not found",
      fields: null,
      conflicting_appointment_id: null,
    });
    expect(toCommandError({ code: "teapot", message: "?" }).code).toBe("internal");
  });
  it("words sign-in failures by code, not by message", () => {
    const e = (code: "unauthorized" | "network" | "rate_limited") => ({ code, message: "x", fields: null, conflicting_appointment_id: null });
    expect(loginErrorText(e("unauthorized"), "http://h")).toBe("Wrong clinic code, username or password.");
    expect(loginErrorText(e("network"), "http://h")).toMatch(/^Cannot reach the server at http:\/\/h/);
    expect(loginErrorText(e("rate_limited"), "http://h")).toMatch(/Too many attempts/);
  });
  it("words BMI like the WHO", () => {
    expect(bmiCategory(18.4)).toBe("underweight");
    expect(bmiCategory(24.9)).toBe("healthy weight");
    expect(bmiCategory(29.9)).toBe("overweight");
    expect(bmiCategory(30)).toBe("obese");
  });
});

describe("idle lock setting", () => {
  const store = () => {
    const m = new Map<string, string>();
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
  };
  it("defaults to ten minutes and ignores what is unusable", () => {
    const s = store();
    expect(loadIdleMinutes(s)).toBe(DEFAULT_IDLE_MINUTES);
    for (const bad of ["", "abc", "-3", "0", "NaN"]) {
      s.setItem("medoffice.idleLockMinutes", bad);
      expect(loadIdleMinutes(s)).toBe(DEFAULT_IDLE_MINUTES);
    }
    s.setItem("medoffice.idleLockMinutes", "100000");
    expect(loadIdleMinutes(s)).toBe(120);
  });
  it("keeps what was saved, fractions included (tests use seconds)", () => {
    const s = store();
    saveIdleMinutes(s, 3);
    expect(loadIdleMinutes(s)).toBe(3);
    s.setItem("medoffice.idleLockMinutes", "0.05");
    expect(loadIdleMinutes(s)).toBe(0.05);
  });
  it("accepts whole minutes from 1 to 120 as typed", () => {
    expect(parseIdleMinutes(" 15 ")).toEqual({ minutes: 15 });
    expect(parseIdleMinutes("0")).toEqual({ error: "must be between 1 and 120 minutes" });
    expect(parseIdleMinutes("121")).toEqual({ error: "must be between 1 and 120 minutes" });
    expect(parseIdleMinutes("2.5")).toEqual({ error: "must be a whole number of minutes" });
  });
  it("says how many unsent changes a wipe loses", () => {
    expect(unsentText(0)).toBe("Every change made here has reached the server.");
    expect(unsentText(1)).toBe("1 change not yet sent to the server will be lost.");
    expect(unsentText(3)).toBe("3 changes not yet sent to the server will be lost.");
  });
});
