import { describe, expect, it } from "vitest";
import {
  DEFAULT_HOURS,
  checkHours,
  findFreeSlots,
  isBusy,
  layoutLanes,
  parseHours,
  shiftWallClock,
  weekDates,
  weekStart,
  type BusyBooking,
  type SlotQuery,
} from "./slots";
import { zonedToUtc } from "./tz";

const NY = "America/New_York";
const DOC = "doc";
const NURSE = "nurse";

function q(over: Partial<SlotQuery> = {}): SlotQuery {
  return {
    providers: [DOC],
    minutes: 15,
    fromDate: "2024-07-01", // a Monday
    hours: DEFAULT_HOURS,
    tz: NY,
    notBeforeMs: 0,
    limit: 5,
    ...over,
  };
}

function booking(date: string, time: string, minutes: number, over: Partial<BusyBooking> = {}): BusyBooking {
  return { provider_id: DOC, starts_at: zonedToUtc(date, time, NY), duration_minutes: minutes, status: "scheduled", ...over };
}

const times = (s: { time: string }[]) => s.map((x) => x.time);

describe("free slots", () => {
  it("start at opening time in the clinic's zone, every 15 minutes", () => {
    const s = findFreeSlots(q(), []);
    expect(times(s)).toEqual(["08:00", "08:15", "08:30", "08:45", "09:00"]);
    expect(s[0]?.starts_at).toBe("2024-07-01T12:00:00Z");
    expect(s[0]?.date).toBe("2024-07-01");
  });

  it("skip what overlaps a booking, including a booking that started before the slot", () => {
    const s = findFreeSlots(q({ minutes: 30 }), [booking("2024-07-01", "08:10", 30)]);
    // 08:00-08:30 overlaps 08:10; 08:15 and 08:30 overlap; 08:40 is not on the grid
    expect(times(s)).toEqual(["08:45", "09:00", "09:15", "09:30", "09:45"]);
  });

  it("touching bookings do not overlap", () => {
    const s = findFreeSlots(q({ limit: 2 }), [booking("2024-07-01", "08:00", 15)]);
    expect(times(s)).toEqual(["08:15", "08:30"]);
  });

  it("cancelled and no-show bookings free their time; another provider's do not block", () => {
    const b = [
      booking("2024-07-01", "08:00", 60, { status: "cancelled" }),
      booking("2024-07-01", "08:00", 60, { status: "no_show" }),
      booking("2024-07-01", "08:00", 60, { provider_id: NURSE }),
    ];
    expect(times(findFreeSlots(q({ limit: 1 }), b))).toEqual(["08:00"]);
    expect(isBusy(b, NURSE, Date.parse("2024-07-01T12:30:00Z"), Date.parse("2024-07-01T12:45:00Z"))).toBe(true);
  });

  it("a completed visit frees its time, as the model's is_live and the server's overlap rule say", () => {
    const at = (status: BusyBooking["status"]) => [booking("2024-07-01", "08:00", 60, { status })];
    const from = Date.parse("2024-07-01T12:15:00Z");
    const to = Date.parse("2024-07-01T12:30:00Z");
    for (const status of ["completed", "cancelled", "no_show"] as const) {
      expect(isBusy(at(status), DOC, from, to), status).toBe(false);
      expect(times(findFreeSlots(q({ limit: 1 }), at(status))), status).toEqual(["08:00"]);
    }
    for (const status of ["scheduled", "checked_in", "in_progress"] as const) {
      expect(isBusy(at(status), DOC, from, to), status).toBe(true);
      expect(times(findFreeSlots(q({ limit: 1 }), at(status))), status).toEqual(["09:00"]);
    }
  });

  it("end by closing time and skip days off (the weekend by default)", () => {
    const s = findFreeSlots(q({ fromDate: "2024-07-05", minutes: 60, limit: 12, step: 60 }), []); // a Friday
    expect(s.filter((x) => x.date === "2024-07-05").pop()?.time).toBe("17:00");
    const friday = s.filter((x) => x.date === "2024-07-05").length;
    expect(friday).toBe(10); // 08:00 … 17:00
    expect(s[10]?.date).toBe("2024-07-08"); // Monday, not Saturday
  });

  it("use edited opening hours and open days", () => {
    const hours = { open: "13:30", close: "15:00", days: [false, false, false, false, false, true, false] };
    const s = findFreeSlots(q({ fromDate: "2024-07-01", minutes: 30, limit: 10, hours }), []);
    expect(s.map((x) => `${x.date} ${x.time}`)).toEqual([
      "2024-07-06 13:30", "2024-07-06 13:45", "2024-07-06 14:00", "2024-07-06 14:15", "2024-07-06 14:30",
      "2024-07-13 13:30", "2024-07-13 13:45", "2024-07-13 14:00", "2024-07-13 14:15", "2024-07-13 14:30",
    ]);
  });

  it("never offer a time already past", () => {
    const now = Date.parse(zonedToUtc("2024-07-01", "16:20", NY));
    expect(times(findFreeSlots(q({ notBeforeMs: now, limit: 3 }), []))).toEqual(["16:30", "16:45", "17:00"]);
  });

  it("offer every provider at the earliest time, in the given order", () => {
    const s = findFreeSlots(q({ providers: [DOC, NURSE], limit: 3 }), [booking("2024-07-01", "08:00", 15)]);
    expect(s.map((x) => `${x.provider_id} ${x.time}`)).toEqual(["nurse 08:00", "doc 08:15", "nurse 08:15"]);
  });

  it("on the spring-forward night skip the missing hour and count real minutes", () => {
    // New York, Sunday 10 March 2024: 02:00 → 03:00
    const hours = { open: "01:00", close: "04:00", days: [true, true, true, true, true, true, true] };
    const s = findFreeSlots(q({ fromDate: "2024-03-10", hours, minutes: 60, limit: 20, days: 1, step: 60 }), []);
    expect(times(s)).toEqual(["01:00", "03:00"]);
    expect(s[0]?.starts_at).toBe("2024-03-10T06:00:00Z");
    expect(s[1]?.starts_at).toBe("2024-03-10T07:00:00Z");
  });

  it("on the autumn change a booking is matched by its real instant", () => {
    // 3 November 2024: 01:00–02:00 happens twice; 01:30 means the first (EDT)
    const hours = { open: "00:00", close: "03:00", days: [true, true, true, true, true, true, true] };
    const first = booking("2024-11-03", "01:30", 30);
    expect(first.starts_at).toBe("2024-11-03T05:30:00Z");
    const s = findFreeSlots(q({ fromDate: "2024-11-03", hours, minutes: 30, limit: 20, days: 1 }), [first]);
    // 01:15 and 01:45 (EDT) overlap it by real minutes; 02:00 is EST, an hour and a half later
    expect(times(s)).toEqual(["00:00", "00:15", "00:30", "00:45", "01:00", "02:00", "02:15", "02:30"]);
  });
});

describe("opening hours", () => {
  it("are checked in words", () => {
    expect(checkHours(DEFAULT_HOURS)).toBeNull();
    expect(checkHours({ ...DEFAULT_HOURS, open: "8" })).toMatch(/Opening time/);
    expect(checkHours({ ...DEFAULT_HOURS, close: "07:00" })).toMatch(/after opening/);
    expect(checkHours({ ...DEFAULT_HOURS, days: [false, false, false, false, false, false, false] })).toMatch(/open day/);
  });
  it("fall back to the defaults when storage holds something unusable", () => {
    expect(parseHours(null)).toEqual(DEFAULT_HOURS);
    expect(parseHours("{not json")).toEqual(DEFAULT_HOURS);
    expect(parseHours(JSON.stringify({ open: "19:00", close: "18:00", days: DEFAULT_HOURS.days }))).toEqual(DEFAULT_HOURS);
    expect(parseHours(JSON.stringify({ open: "07:30", close: "12:00", days: [true, false, true, false, true, false, false] })).open).toBe("07:30");
  });
});

describe("weeks and moves", () => {
  it("weeks run Monday to Sunday", () => {
    expect(weekStart("2024-07-07")).toBe("2024-07-01");
    expect(weekStart("2024-07-01")).toBe("2024-07-01");
    expect(weekDates("2024-03-01")).toEqual(["2024-02-26", "2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02", "2024-03-03"]);
  });
  it("a day's move keeps the wall-clock time across a daylight-saving change", () => {
    const sat = zonedToUtc("2024-03-09", "09:00", NY);
    expect(shiftWallClock(sat, 1, 0, NY)).toBe("2024-03-10T13:00:00Z");
    expect(shiftWallClock(sat, 0, 15, NY)).toBe("2024-03-09T14:15:00Z");
    expect(shiftWallClock(zonedToUtc("2024-03-09", "23:50", NY), 0, 15, NY)).toBe(zonedToUtc("2024-03-10", "00:05", NY));
    expect(shiftWallClock(zonedToUtc("2024-03-09", "00:05", NY), 0, -15, NY)).toBe(zonedToUtc("2024-03-08", "23:50", NY));
  });
  it("overlapping bookings share lanes; separate ones take the full width", () => {
    const items = [
      { id: "a", s: 0, e: 30 },
      { id: "b", s: 15, e: 45 },
      { id: "c", s: 30, e: 60 },
      { id: "d", s: 90, e: 100 },
    ];
    const placed = layoutLanes(items, (x) => x.s, (x) => x.e);
    const by = Object.fromEntries(placed.map((p) => [p.item.id, [p.lane, p.lanes]]));
    expect(by).toEqual({ a: [0, 2], b: [1, 2], c: [0, 2], d: [0, 1] });
  });
});
