import { describe, expect, it } from "vitest";
import { addDays, isValidTimeZone, parseIsoDate, utcToZoned, zonedToUtc, zoneOffsetMs } from "./tz";
import { formatDateTime, formatLongDate, formatTime, parseTimeOfDay } from "./locale";

const NY = "America/New_York";
const H = 3600 * 1000;

describe("clinic wall clock → UTC", () => {
  it("uses standard time in winter and daylight time in summer", () => {
    expect(zonedToUtc("2024-01-15", "09:30", NY)).toBe("2024-01-15T14:30:00Z");
    expect(zonedToUtc("2024-07-15", "09:30", NY)).toBe("2024-07-15T13:30:00Z");
  });
  it("handles the day before and after the spring change", () => {
    expect(zonedToUtc("2024-03-09", "09:00", NY)).toBe("2024-03-09T14:00:00Z");
    expect(zonedToUtc("2024-03-10", "09:00", NY)).toBe("2024-03-10T13:00:00Z");
    expect(zonedToUtc("2024-03-10", "01:59", NY)).toBe("2024-03-10T06:59:00Z");
    expect(zonedToUtc("2024-03-10", "03:00", NY)).toBe("2024-03-10T07:00:00Z");
  });
  it("moves a skipped spring time forward by the gap", () => {
    expect(zonedToUtc("2024-03-10", "02:30", NY)).toBe("2024-03-10T07:30:00Z");
    expect(utcToZoned("2024-03-10T07:30:00Z", NY)).toEqual({ date: "2024-03-10", time: "03:30" });
  });
  it("takes the first of an autumn time that happens twice", () => {
    expect(zonedToUtc("2024-11-03", "01:30", NY)).toBe("2024-11-03T05:30:00Z");
    expect(zonedToUtc("2024-11-03", "00:30", NY)).toBe("2024-11-03T04:30:00Z");
    expect(zonedToUtc("2024-11-03", "02:30", NY)).toBe("2024-11-03T07:30:00Z");
  });
  it("works east of Greenwich, across midnight, and in zones with half hours", () => {
    expect(zonedToUtc("2024-03-31", "01:30", "Europe/Berlin")).toBe("2024-03-31T00:30:00Z");
    expect(zonedToUtc("2024-03-31", "03:30", "Europe/Berlin")).toBe("2024-03-31T01:30:00Z");
    expect(zonedToUtc("2024-06-01", "00:15", "Asia/Tokyo")).toBe("2024-05-31T15:15:00Z");
    expect(zonedToUtc("2024-06-01", "10:00", "Asia/Kolkata")).toBe("2024-06-01T04:30:00Z");
    expect(zonedToUtc("2024-06-01", "10:00", "UTC")).toBe("2024-06-01T10:00:00Z");
  });
  it("round-trips every quarter hour of the New York change days", () => {
    for (const date of ["2024-03-10", "2024-11-03", "2025-03-09"]) {
      for (let m = 0; m < 24 * 60; m += 15) {
        const time = `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
        const back = utcToZoned(zonedToUtc(date, time, NY), NY);
        if (date !== "2025-03-09" && date !== "2024-03-10") expect(back).toEqual({ date, time });
        else if (time < "02:00" || time >= "03:00") expect(back).toEqual({ date, time });
        else expect(back.time.startsWith("03:")).toBe(true);
      }
    }
  });
  it("refuses input that is not a date or time", () => {
    expect(() => zonedToUtc("2024-02-30", "09:00", NY)).toThrow(RangeError);
    expect(() => zonedToUtc("2024-02-01", "25:00", NY)).toThrow(RangeError);
  });
});

describe("UTC → clinic wall clock", () => {
  it("finds the zone offset", () => {
    expect(zoneOffsetMs(Date.parse("2024-01-15T12:00:00Z"), NY)).toBe(-5 * H);
    expect(zoneOffsetMs(Date.parse("2024-07-15T12:00:00Z"), NY)).toBe(-4 * H);
    expect(zoneOffsetMs(Date.parse("2024-07-15T12:00:00Z"), "Asia/Kolkata")).toBe(5.5 * H);
  });
  it("formats times and dates in the clinic's zone, not the workstation's", () => {
    expect(formatTime("2024-07-15T13:30:00Z", NY)).toBe("09:30");
    expect(formatTime("2024-07-15T00:05:00Z", NY)).toBe("20:05");
    expect(formatDateTime("2024-07-15T02:00:00Z", NY)).toBe("2024-07-14 22:00");
    expect(formatTime("2024-07-15T00:00:00Z", "UTC")).toBe("00:00");
  });
});

describe("calendar helpers", () => {
  it("validates dates and moves by days across months and leap days", () => {
    expect(parseIsoDate("2024-02-29")).toEqual({ year: 2024, month: 2, day: 29 });
    expect(parseIsoDate("2023-02-29")).toBeNull();
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2024-03-01", -1)).toBe("2024-02-29");
    expect(addDays("2024-12-31", 1)).toBe("2025-01-01");
  });
  it("reads times as typed", () => {
    expect(parseTimeOfDay("9:30")).toBe("09:30");
    expect(parseTimeOfDay("0930")).toBe("09:30");
    expect(parseTimeOfDay("930")).toBe("09:30");
    expect(parseTimeOfDay("14.05")).toBe("14:05");
    expect(parseTimeOfDay("9")).toBe("09:00");
    expect(parseTimeOfDay("24:00")).toBeNull();
    expect(parseTimeOfDay("9:75")).toBeNull();
    expect(parseTimeOfDay("nine")).toBeNull();
  });
  it("knows real zones and spells long dates", () => {
    expect(isValidTimeZone(NY)).toBe(true);
    expect(isValidTimeZone("Mars/Olympus")).toBe(false);
    expect(formatLongDate("2024-03-05")).toBe("Tuesday 5 March 2024");
  });
});
