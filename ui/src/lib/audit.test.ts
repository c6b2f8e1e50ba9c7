import { describe, expect, it } from "vitest";
import { actionChoices, actionLabel, buildAuditFilter, exportFileName, outcomeLabel, type AuditFilterForm } from "./audit";

const NY = "America/New_York";
const empty: AuditFilterForm = { patientId: null, userId: "", fromDate: "", fromTime: "", toDate: "", toTime: "", action: "", outcome: "" };

describe("audit actions in words", () => {
  it("names the actions people look for", () => {
    expect(actionLabel("patient.read")).toBe("Read patient record");
    expect(actionLabel("patient.chart_open")).toBe("Opened patient chart");
    expect(actionLabel("auth.login_failed")).toBe("Failed sign-in");
    expect(actionLabel("user.role_change")).toBe("Changed role");
    expect(actionLabel("audit.export")).toBe("Exported the audit log");
  });
  it("still says something readable for an action it does not know", () => {
    expect(actionLabel("patient.merge_records")).toBe("Patient: merge records");
    expect(actionLabel("vital_signs.reweigh")).toBe("Vital signs: reweigh");
    expect(actionLabel("weird")).toBe("Weird");
  });
  it("names outcomes, including sign-in reasons", () => {
    expect(outcomeLabel("bad_password")).toBe("Wrong password");
    expect(outcomeLabel("denied")).toBe("Denied (role may not)");
    expect(outcomeLabel("some_new_reason")).toBe("Some new reason");
  });
  it("offers families first and every labelled action once", () => {
    const choices = actionChoices();
    expect(choices[0]).toEqual(["", "Any action"]);
    expect(choices[1]?.[0]).toBe("auth.*");
    const values = choices.map(([v]) => v);
    expect(new Set(values).size).toBe(values.length);
    expect(values).toContain("patient.read");
  });
});

describe("audit filter form to query", () => {
  it("sends nothing for an empty form", () => {
    expect(buildAuditFilter(empty, NY)).toEqual({ ok: true, query: {} });
  });
  it("turns clinic-time dates into UTC instants; 'to' takes in its whole day", () => {
    // 15 July 2024 in New York is UTC-4
    const r = buildAuditFilter({ ...empty, fromDate: "2024-07-15", toDate: "2024-07-15" }, NY);
    expect(r).toEqual({ ok: true, query: { from: "2024-07-15T04:00:00Z", to: "2024-07-16T04:00:00Z" } });
  });
  it("reads typed times; 'to' includes its minute", () => {
    const r = buildAuditFilter({ ...empty, fromDate: "2024-01-10", fromTime: "930", toDate: "2024-01-10", toTime: "17:45" }, NY);
    expect(r).toEqual({ ok: true, query: { from: "2024-01-10T14:30:00Z", to: "2024-01-10T22:46:00Z" } });
  });
  it("passes patient, user, action and outcome as they are", () => {
    const r = buildAuditFilter(
      { ...empty, patientId: "0190a0a0-0000-7000-8000-000000000001", userId: " 0190a0a0-0000-7000-8000-000000000002 ", action: "auth.*", outcome: "denied" },
      NY,
    );
    expect(r).toEqual({
      ok: true,
      query: { patient_id: "0190a0a0-0000-7000-8000-000000000001", user_id: "0190a0a0-0000-7000-8000-000000000002", action: "auth.*", outcome: "denied" },
    });
  });
  it("names the field that is wrong", () => {
    expect(buildAuditFilter({ ...empty, fromDate: "2024-02-30" }, NY)).toEqual({ ok: false, errors: { from: ["is not a real date"] } });
    expect(buildAuditFilter({ ...empty, toTime: "10:00" }, NY)).toEqual({ ok: false, errors: { to_time: ["needs a date too"] } });
    expect(buildAuditFilter({ ...empty, fromDate: "2024-02-01", fromTime: "25:00" }, NY)).toEqual({
      ok: false,
      errors: { from_time: ["must look like HH:MM"] },
    });
    expect(buildAuditFilter({ ...empty, fromDate: "2024-03-02", toDate: "2024-03-01" }, NY)).toEqual({ ok: false, errors: { to: ["must be after the start"] } });
  });
  it("names export files by clinic date and time", () => {
    expect(exportFileName("2024-07-15", "10:30")).toBe("audit-log-2024-07-15-1030.csv");
  });
});
