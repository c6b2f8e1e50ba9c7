import { describe, expect, it } from "vitest";
import type { FlowRow } from "../bindings/FlowRow";
import { nextStep, stateDetail } from "./flow";

function row(state: FlowRow["state"], over: { checked_in_at?: string | null; room?: string | null } = {}): FlowRow {
  return {
    row: {
      appointment: {
        record: {
          id: "a1",
          patient_id: "p1",
          provider_id: "u1",
          starts_at: "2026-12-07T09:00:00Z",
          duration_minutes: 20,
          kind: "follow_up",
          status: "checked_in",
          reason: null,
          notes: null,
          overbooked: false,
          outside_hours_reason: null,
          room_id: null,
          series_id: null,
          visit_type_id: null,
          checked_in_at: over.checked_in_at ?? null,
          revision: 1,
          deleted: false,
        },
        pending: false,
        rejected: null,
        held: null,
      },
      patient_name: "Quill, Ada",
      patient_mrn: "000001",
      provider_name: "Dr. Kim",
      patient_date_of_birth: null,
      patient_sex: null,
    },
    state,
    room_name: over.room ?? null,
  };
}

describe("the waiting room", () => {
  it("offers the next step of each state, none when done", () => {
    expect(nextStep("late")).toEqual({ label: "Check in", to: "checked_in" });
    expect(nextStep("waiting")).toEqual({ label: "To a room…", to: null });
    expect(nextStep("in_room")).toEqual({ label: "Start visit", to: "in_progress" });
    expect(nextStep("with_clinician")?.to).toBe("completed");
    expect(nextStep("done")).toBeNull();
  });
  it("says how long someone has waited or is late, and where they are", () => {
    const now = Date.parse("2026-12-07T09:17:00Z");
    expect(stateDetail(row("waiting", { checked_in_at: "2026-12-07T09:05:00Z" }), now)).toBe("12 min");
    expect(stateDetail(row("late"), now)).toBe("17 min late");
    expect(stateDetail(row("in_room", { room: "Room 2" }), now)).toBe("Room 2");
    expect(stateDetail(row("expected"), now)).toBe("");
  });
});
