import { describe, expect, it } from "vitest";
import { formatStretches, parseStretches, weekInClinicOrder } from "./hours";
import { ISO_CONVENTIONS, setConventions } from "./locale";

describe("typed hours", () => {
  it("read one or more stretches in the ways staff type times", () => {
    expect(parseStretches("08:00–12:00, 13:00-17:30", "mon")).toEqual({
      times: [
        { day_of_week: "mon", start: "08:00", end: "12:00" },
        { day_of_week: "mon", start: "13:00", end: "17:30" },
      ],
    });
    expect(parseStretches("9 to 1730", "tue")).toEqual({ times: [{ day_of_week: "tue", start: "09:00", end: "17:30" }] });
    expect(parseStretches("00:00-24:00", "sun")).toEqual({ times: [{ day_of_week: "sun", start: "00:00", end: "24:00" }] });
    expect(parseStretches("  ", "sat")).toEqual({ times: [] });
  });
  it("say what is wrong", () => {
    expect(parseStretches("8-", "mon")).toEqual({ error: '"8-" is not a stretch like 08:00–12:00' });
    expect(parseStretches("17:00-08:00", "mon")).toEqual({ error: "17:00–08:00: the end must be after the start" });
    expect(parseStretches("08:00-12:00, 11:00-13:00", "mon")).toEqual({ error: "08:00–12:00 and 11:00–13:00 overlap" });
  });
  it("show a day's stretches in order", () => {
    const times = [
      { day_of_week: "mon" as const, start: "13:30", end: "17:00" },
      { day_of_week: "mon" as const, start: "08:30", end: "12:30" },
      { day_of_week: "tue" as const, start: "09:00", end: "10:00" },
    ];
    expect(formatStretches(times, "mon")).toBe("08:30–12:30, 13:30–17:00");
    expect(formatStretches(times, "sun")).toBe("");
  });
  it("on a 12-hour clock, show and read AM and PM, midnight as the end of the day, weeks from the clinic's first day", () => {
    setConventions({ date_order: "month_day_year", hour_cycle: "h12", week_start: "sunday" });
    try {
      const times = [
        { day_of_week: "mon" as const, start: "08:30", end: "12:30" },
        { day_of_week: "mon" as const, start: "17:00", end: "24:00" },
      ];
      const shown = formatStretches(times, "mon");
      expect(shown).toBe("8:30 AM–12:30 PM, 5:00 PM–12:00 AM");
      expect(parseStretches(shown, "mon")).toEqual({ times });
      expect(parseStretches("9 am to 1 pm", "tue")).toEqual({ times: [{ day_of_week: "tue", start: "09:00", end: "13:00" }] });
      expect(parseStretches("9-1", "tue")).toEqual({ error: '"9-1" is not a stretch like 8:00 AM–12:00 PM' });
      expect(weekInClinicOrder().map((d) => d.day)).toEqual(["sun", "mon", "tue", "wed", "thu", "fri", "sat"]);
    } finally {
      setConventions(ISO_CONVENTIONS);
    }
    expect(weekInClinicOrder()[0]?.day).toBe("mon");
  });
});
