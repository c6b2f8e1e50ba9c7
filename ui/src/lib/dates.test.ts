import { describe, expect, it } from "vitest";
import { ageInMonths, ageInYears, checkDateOfBirth, formatAge, howLongAgo, parseTypedDate } from "./dates";

describe("age", () => {
  it("counts whole years, the birthday itself included", () => {
    expect(ageInYears("1990-04-03", "2024-04-02")).toBe(33);
    expect(ageInYears("1990-04-03", "2024-04-03")).toBe(34);
    expect(ageInYears("1990-12-31", "2025-01-01")).toBe(34);
  });
  it("handles 29 February birthdays like the model (birthday on 1 March in other years)", () => {
    expect(ageInYears("2000-02-29", "2023-02-28")).toBe(22);
    expect(ageInYears("2000-02-29", "2023-03-01")).toBe(23);
    expect(ageInYears("2000-02-29", "2024-02-29")).toBe(24);
  });
  it("counts months for the little ones", () => {
    expect(ageInMonths("2023-01-15", "2024-07-14")).toBe(17);
    expect(ageInMonths("2023-01-15", "2024-07-15")).toBe(18);
  });
  it("writes ages as a clinic does", () => {
    expect(formatAge("1990-04-03", "2024-04-03")).toBe("34 y");
    expect(formatAge("2022-04-03", "2024-04-03")).toBe("2 y");
    expect(formatAge("2023-01-15", "2024-07-15")).toBe("18 mo");
    expect(formatAge("2024-07-01", "2024-07-13")).toBe("12 d");
    expect(formatAge("2025-01-01", "2024-07-13")).toBe("");
    expect(formatAge("garbage", "2024-07-13")).toBe("");
  });
});

describe("dates as typed at the desk", () => {
  it("reads ISO and day-first dotted dates", () => {
    expect(parseTypedDate("1990-04-03")).toEqual({ ok: true, date: "1990-04-03" });
    expect(parseTypedDate("1990-4-3")).toEqual({ ok: true, date: "1990-04-03" });
    expect(parseTypedDate("03.04.1990")).toEqual({ ok: true, date: "1990-04-03" });
  });
  it("reads slashed dates only when unambiguous", () => {
    expect(parseTypedDate("25/12/1990")).toEqual({ ok: true, date: "1990-12-25" });
    expect(parseTypedDate("12/25/1990")).toEqual({ ok: true, date: "1990-12-25" });
    expect(parseTypedDate("7/7/1990")).toEqual({ ok: true, date: "1990-07-07" });
    expect(parseTypedDate("3/4/1990")).toEqual({ ok: false, error: "is ambiguous: type it as YYYY-MM-DD" });
  });
  it("refuses impossible and empty dates", () => {
    expect(parseTypedDate("1990-02-30").ok).toBe(false);
    expect(parseTypedDate("31.04.1990").ok).toBe(false);
    expect(parseTypedDate("")).toEqual({ ok: false, error: "is required" });
    expect(parseTypedDate("yesterday")).toEqual({ ok: false, error: "must look like YYYY-MM-DD" });
  });
  it("checks a date of birth like the server", () => {
    expect(checkDateOfBirth("2024-07-14", "2024-07-13")).toEqual({ ok: false, error: "cannot be in the future" });
    expect(checkDateOfBirth("1899-12-31", "2024-07-13")).toEqual({
      ok: false,
      error: "must be on or after 1900-01-01",
    });
    expect(checkDateOfBirth("2024-07-13", "2024-07-13")).toEqual({ ok: true, date: "2024-07-13" });
  });
});

describe("how long ago a reading was", () => {
  it("says nothing for today and names older days, months and years", () => {
    expect(howLongAgo("2026-12-06", "2026-12-06")).toBe("");
    expect(howLongAgo("2026-12-05", "2026-12-06")).toBe("yesterday");
    expect(howLongAgo("2026-11-20", "2026-12-06")).toBe("16 days ago");
    expect(howLongAgo("2026-10-30", "2026-12-06")).toBe("a month ago");
    expect(howLongAgo("2026-06-01", "2026-12-06")).toBe("6 months ago");
    expect(howLongAgo("2025-12-06", "2026-12-06")).toBe("a year ago");
    expect(howLongAgo("2023-10-10", "2026-12-06")).toBe("3 years ago");
    expect(howLongAgo("2026-12-07", "2026-12-06")).toBe("");
  });
});
