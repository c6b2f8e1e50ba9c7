import { describe, expect, it } from "vitest";
import { checkDateOfBirth } from "./dates";
import {
  type DateConventions,
  datePattern,
  formatDateTime,
  formatDayMonth,
  formatLongDate,
  formatTime,
  ISO_CONVENTIONS,
  parseDate,
  parseTime,
  setConventions,
  showDate,
  showTime,
  startOfWeek,
  timePattern,
  weekDates,
} from "./locale";

const US: DateConventions = { date_order: "month_day_year", hour_cycle: "h12", week_start: "sunday" };
const UK: DateConventions = { date_order: "day_month_year", hour_cycle: "h23", week_start: "monday" };
const NY = "America/New_York";

describe("dates shown the clinic's way", () => {
  it("writes one date three ways", () => {
    expect(showDate("2024-03-14", US)).toBe("03/14/2024");
    expect(showDate("2024-03-14", UK)).toBe("14/03/2024");
    expect(showDate("2024-03-14", ISO_CONVENTIONS)).toBe("2024-03-14");
    expect(showDate("not a date", US)).toBe("not a date");
    expect(datePattern(US)).toBe("MM/DD/YYYY");
    expect(datePattern(UK)).toBe("DD/MM/YYYY");
  });

  it("writes times on the clinic's clock, midnight and noon included", () => {
    expect(showTime("00:05", US)).toBe("12:05 AM");
    expect(showTime("09:30", US)).toBe("9:30 AM");
    expect(showTime("12:00", US)).toBe("12:00 PM");
    expect(showTime("23:59", US)).toBe("11:59 PM");
    expect(showTime("23:59", UK)).toBe("23:59");
    expect(timePattern(US)).toBe("h:mm AM/PM");
    expect(formatTime("2024-07-15T13:30:00Z", NY, US)).toBe("9:30 AM");
    expect(formatDateTime("2024-07-15T02:00:00Z", NY, US)).toBe("07/14/2024 10:00 PM");
    expect(formatDateTime("2024-07-15T02:00:00Z", NY, UK)).toBe("14/07/2024 22:00");
  });

  it("spells long and short dates in the clinic's order", () => {
    expect(formatLongDate("2024-03-05", US)).toBe("Tuesday, March 5, 2024");
    expect(formatLongDate("2024-03-05", UK)).toBe("Tuesday 5 March 2024");
    expect(formatDayMonth("2024-03-05", US)).toBe("Mar 5");
    expect(formatDayMonth("2024-03-05", UK)).toBe("5 Mar");
  });
});

describe("dates typed the clinic's way", () => {
  it("reads 3/4/1990 as March 4 in a US clinic and 3 April in a UK one", () => {
    expect(parseDate("3/4/1990", US)).toEqual({ ok: true, value: "1990-03-04" });
    expect(parseDate("3/4/1990", UK)).toEqual({ ok: true, value: "1990-04-03" });
    expect(parseDate("03-04-1990", US)).toEqual({ ok: true, value: "1990-03-04" });
    expect(parseDate("03.04.1990", UK)).toEqual({ ok: true, value: "1990-04-03" });
    expect(parseDate("3/4/1990", ISO_CONVENTIONS).ok).toBe(false);
  });

  it("reads ISO dates everywhere and refuses impossible ones", () => {
    for (const c of [US, UK, ISO_CONVENTIONS]) expect(parseDate("1990-04-03", c)).toEqual({ ok: true, value: "1990-04-03" });
    expect(parseDate("13/25/1990", US)).toEqual({ ok: false, error: "is not a real date" });
    expect(parseDate("31/04/1990", UK)).toEqual({ ok: false, error: "is not a real date" });
    expect(parseDate("02/29/2023", US).ok).toBe(false);
    expect(parseDate("02/29/2024", US)).toEqual({ ok: true, value: "2024-02-29" });
  });

  it("says what shape it wants, and refuses two-digit years", () => {
    expect(parseDate("March 4", US)).toEqual({ ok: false, error: "must look like MM/DD/YYYY" });
    expect(parseDate("3/4/90", UK)).toEqual({ ok: false, error: "needs the year in full (DD/MM/YYYY)" });
    expect(parseDate("", US)).toEqual({ ok: false, error: "is required" });
  });

  it("checks dates of birth in the clinic's order", () => {
    setConventions(US);
    try {
      expect(checkDateOfBirth("12/25/1990", "2024-01-01")).toEqual({ ok: true, date: "1990-12-25" });
      expect(checkDateOfBirth("25/12/1990", "2024-01-01")).toEqual({ ok: false, error: "is not a real date" });
      expect(checkDateOfBirth("1/1/1899", "2024-01-01")).toEqual({ ok: false, error: "must be on or after 01/01/1900" });
    } finally {
      setConventions(ISO_CONVENTIONS);
    }
  });
});

describe("times typed the clinic's way", () => {
  it("reads AM and PM on any clock", () => {
    for (const c of [US, UK]) {
      expect(parseTime("9:30 pm", c)).toEqual({ ok: true, value: "21:30" });
      expect(parseTime("9PM", c)).toEqual({ ok: true, value: "21:00" });
      expect(parseTime("12 am", c)).toEqual({ ok: true, value: "00:00" });
      expect(parseTime("12:15 p.m.", c)).toEqual({ ok: true, value: "12:15" });
      expect(parseTime("0930am", c)).toEqual({ ok: true, value: "09:30" });
    }
  });

  it("asks a 12-hour clinic for AM or PM where the hour could be either", () => {
    expect(parseTime("2:30", US)).toEqual({ ok: false, error: "needs AM or PM" });
    expect(parseTime("14:30", US)).toEqual({ ok: true, value: "14:30" });
    expect(parseTime("0:30", US)).toEqual({ ok: true, value: "00:30" });
    expect(parseTime("2:30", UK)).toEqual({ ok: true, value: "02:30" });
  });

  it("refuses what is not a time", () => {
    expect(parseTime("13 pm", US)).toEqual({ ok: false, error: "takes AM or PM only with an hour from 1 to 12" });
    expect(parseTime("24:00", UK).ok).toBe(false);
    expect(parseTime("9:75 am", US).ok).toBe(false);
    expect(parseTime("nine", US)).toEqual({ ok: false, error: "must look like h:mm AM/PM" });
    expect(parseTime("9m", UK).ok).toBe(false);
  });
});

describe("weeks start on the clinic's day", () => {
  it("starts the week of Wednesday 2024-07-10 on Sunday, Monday or Saturday", () => {
    expect(startOfWeek("2024-07-10", US)).toBe("2024-07-07");
    expect(startOfWeek("2024-07-10", UK)).toBe("2024-07-08");
    expect(startOfWeek("2024-07-10", { ...UK, week_start: "saturday" })).toBe("2024-07-06");
    expect(startOfWeek("2024-07-07", US)).toBe("2024-07-07");
    expect(startOfWeek("2024-07-07", UK)).toBe("2024-07-01");
    expect(weekDates("2024-12-31", US)).toEqual(["2024-12-29", "2024-12-30", "2024-12-31", "2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"]);
  });
});
