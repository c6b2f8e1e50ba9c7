import { describe, expect, it } from "vitest";
import type { AppointmentRow } from "../bindings/AppointmentRow";
import type { CommandError } from "../bindings/CommandError";
import { checkedInText, moveErrorText } from "./schedule";
import { columnOf, dayTitle, laneStyle, movable, type GridColumn } from "./scheduleGrid";
import { waitingFor, waitingText } from "./today";
import { ISO_CONVENTIONS, setConventions } from "../lib/locale";

const NY = "America/New_York";

function row(id: string, startsAt: string, over: Partial<AppointmentRow["appointment"]["record"]> = {}): AppointmentRow {
  return {
    appointment: {
      record: {
        id,
        patient_id: "p1",
        provider_id: "doc",
        starts_at: startsAt,
        duration_minutes: 20,
        kind: "follow_up",
        status: "scheduled",
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
        ...over,
      },
      pending: false,
      rejected: null,
      held: null,
    },
    patient_name: "Conroy, Lavonda",
    patient_mrn: "000015",
    provider_name: "Dr. Daniel Kim",
    patient_date_of_birth: "1987-01-02",
    patient_sex: "female",
  };
}

function err(over: Partial<CommandError>): CommandError {
  return { code: "internal", message: "", fields: null, conflicting_appointment_id: null, ...over };
}

describe("a refused move", () => {
  it("names the clashing booking in the clinic's time", () => {
    const other = row("b", "2026-11-21T14:20:00Z");
    const text = moveErrorText(err({ code: "conflict", message: "taken", conflicting_appointment_id: "b" }), [other], NY);
    expect(text).toBe("Not moved: it would clash with 09:20–09:40 Conroy, Lavonda (MRN 000015) with Dr. Daniel Kim, scheduled.");
  });
  it("falls back to the core's words when the other booking is not in view", () => {
    const text = moveErrorText(err({ code: "conflict", message: "The provider already has a booking at 2026-11-22 09:00 for 20 minutes: Okafor, Ben (MRN 7)", conflicting_appointment_id: "x" }), [], NY);
    expect(text).toContain("Okafor, Ben");
  });
  it("says which field was refused, in words", () => {
    const text = moveErrorText(err({ code: "validation", message: "", fields: { starts_at: ["cannot be moved to a day in the past"] } }), [], NY);
    expect(text).toBe("Not moved: the new time cannot be moved to a day in the past.");
  });
});

describe("the grid", () => {
  const cols: GridColumn[] = [
    { date: "2026-11-21", providerId: "doc", title: "Kim" },
    { date: "2026-11-21", providerId: "nurse", title: "Okafor" },
  ];
  it("puts a booking in its provider's column on its clinic-local day", () => {
    expect(columnOf(row("a", "2026-11-21T14:00:00Z"), cols, NY)).toBe(0);
    expect(columnOf(row("a", "2026-11-21T14:00:00Z", { provider_id: "nurse" }), cols, NY)).toBe(1);
    // 00:30 UTC on the 22nd is still the 21st in New York
    expect(columnOf(row("a", "2026-11-22T00:30:00Z"), cols, NY)).toBe(0);
    expect(columnOf(row("a", "2026-11-22T14:00:00Z"), cols, NY)).toBe(-1);
  });
  it("moves only scheduled and checked-in bookings", () => {
    expect(movable(row("a", "2026-11-21T14:00:00Z"))).toBe(true);
    expect(movable(row("a", "2026-11-21T14:00:00Z", { status: "checked_in" }))).toBe(true);
    expect(movable(row("a", "2026-11-21T14:00:00Z", { status: "in_progress" }))).toBe(false);
    expect(movable(row("a", "2026-11-21T14:00:00Z", { status: "cancelled" }))).toBe(false);
  });
  it("titles week columns briefly", () => {
    expect(dayTitle("2026-11-16")).toBe("Mon 16 Nov");
    setConventions({ date_order: "month_day_year", hour_cycle: "h12", week_start: "sunday" });
    try {
      expect(dayTitle("2026-11-16")).toBe("Mon Nov 16");
    } finally {
      setConventions(ISO_CONVENTIONS);
    }
  });
});

describe("waiting time", () => {
  it("reads in minutes, then hours", () => {
    expect(waitingText(20_000)).toBe("just now");
    expect(waitingText(4 * 60_000 + 5_000)).toBe("4 min");
    expect(waitingText(65 * 60_000)).toBe("1 h 05 min");
  });
  it("counts from the desk's check-in time while checked in", () => {
    const now = Date.parse("2026-11-21T14:30:00Z");
    expect(waitingFor("checked_in", "2026-11-21T14:12:00Z", now)).toBe("18 min");
    expect(waitingFor("checked_in", "2026-11-21T13:00:00Z", now)).toBe("1 h 30 min");
    // a desk clock slightly ahead of this one
    expect(waitingFor("checked_in", "2026-11-21T14:31:00Z", now)).toBe("just now");
    expect(waitingFor("in_progress", "2026-11-21T14:12:00Z", now)).toBe("");
    expect(waitingFor("checked_in", null, now)).toBe("");
  });
  it("shows the check-in time in the clinic's zone", () => {
    expect(checkedInText("2026-11-21T14:12:00Z", NY)).toBe("checked in 09:12");
  });
});

describe("overlapping bookings", () => {
  it("two share the column; more cascade at a readable width", () => {
    expect(laneStyle(1, 2)).toBe("left:calc(50% + 2px);width:calc(50% - 4px);z-index:2");
    expect(laneStyle(3, 4)).toBe("left:min(50px, 37.5%);width:max(50%, calc(100% - 52px));z-index:4");
  });
});
