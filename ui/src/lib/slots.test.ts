import { describe, expect, it } from "vitest";
import { ISO_CONVENTIONS, startOfWeek, weekDates } from "./locale";
import {
  findFreeSlots,
  fitsOpen,
  isBusy,
  layoutLanes,
  openTimeOf,
  shiftWallClock,
  type BusyBooking,
  type SlotQuery,
} from "./slots";
import { addDays, zonedToUtc } from "./tz";

const NY = "America/New_York";
const DOC = "doc";
const NURSE = "nurse";

/** Hours as the core would answer them: `open`–`close` on the weekdays of `days` (Monday first), for 60 days from 2024-01-01. */
function hours(open: string, close: string, days: boolean[], providers = [DOC, NURSE]) {
  const intervals: { starts_at: string; ends_at: string }[] = [];
  for (let i = 0; i < 400; i++) {
    const date = addDays("2024-01-01", i); // a Monday
    if (!days[i % 7]) continue;
    intervals.push({ starts_at: zonedToUtc(date, open, NY), ends_at: close === "24:00" ? zonedToUtc(addDays(date, 1), "00:00", NY) : zonedToUtc(date, close, NY) });
  }
  return openTimeOf(providers.map((provider_id) => ({ provider_id, intervals })));
}

const WEEKDAYS = [true, true, true, true, true, false, false];
const DEFAULT_OPEN = hours("08:00", "18:00", WEEKDAYS);

function q(over: Partial<SlotQuery> & { hours?: { open: string; close: string; days: boolean[] } } = {}): SlotQuery {
  const { hours: h, ...rest } = over;
  return {
    providers: [DOC],
    minutes: 15,
    fromDate: "2024-07-01", // a Monday
    open: h ? hours(h.open, h.close, h.days) : DEFAULT_OPEN,
    tz: NY,
    notBeforeMs: 0,
    limit: 5,
    ...rest,
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

describe("bookable time", () => {
  it("a visit fits only inside one stretch, ends touching its end", () => {
    const spans = [{ startMs: 0, endMs: 60 }, { startMs: 120, endMs: 180 }];
    expect(fitsOpen(spans, 0, 60)).toBe(true);
    expect(fitsOpen(spans, 30, 90)).toBe(false);
    expect(fitsOpen(spans, 60, 120)).toBe(false);
    expect(fitsOpen([], 0, 1)).toBe(false);
  });
  it("each provider is offered only inside their own stretches", () => {
    const open = {
      ...hours("08:00", "12:00", WEEKDAYS, [DOC]),
      [NURSE]: [...(hours("13:00", "17:00", [true, false, false, false, false, false, false], [NURSE])[NURSE] ?? [])],
    };
    const s = findFreeSlots(q({ providers: [DOC, NURSE], open, minutes: 60, step: 60, limit: 8 }), []);
    expect(s.map((x) => `${x.provider_id} ${x.date} ${x.time}`)).toEqual([
      "doc 2024-07-01 08:00", "doc 2024-07-01 09:00", "doc 2024-07-01 10:00", "doc 2024-07-01 11:00",
      "nurse 2024-07-01 13:00", "nurse 2024-07-01 14:00", "nurse 2024-07-01 15:00", "nurse 2024-07-01 16:00",
    ]);
  });
});

describe("weeks and moves", () => {
  it("an ISO clinic's weeks run Monday to Sunday", () => {
    expect(startOfWeek("2024-07-07", ISO_CONVENTIONS)).toBe("2024-07-01");
    expect(startOfWeek("2024-07-01", ISO_CONVENTIONS)).toBe("2024-07-01");
    expect(weekDates("2024-03-01", ISO_CONVENTIONS)).toEqual(["2024-02-26", "2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02", "2024-03-03"]);
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
