import { describe, expect, it } from "vitest";
import type { Measurements } from "../bindings/Measurements";
import type { Consciousness } from "../bindings/Consciousness";
import { RULES } from "../bindings/rules";
import {
  ADULT_THRESHOLDS,
  thresholdFlag,
  thresholdsForAge,
  adultThresholdsApply,
  ageAtMeasurement,
  bmi,
  checkField,
  flagOf,
  flags,
  flagsForAge,
  limitInUnit,
  measurementsFrom,
  news2,
  news2ForAge,
  news2HasRedScore,
  news2Missing,
  news2Risk,
  news2RiskText,
  news2Summary,
  validateMeasurements,
} from "./vitals";

function full(rr: number, spo2: number, o2: boolean, sys: number, hr: number, c: Consciousness, t: number): Measurements {
  return {
    respiratory_rate_bpm: rr,
    spo2_pct: spo2,
    on_oxygen: o2,
    systolic_mmhg: sys,
    diastolic_mmhg: Math.trunc(sys / 2),
    heart_rate_bpm: hr,
    consciousness: c,
    temperature_c: t,
  };
}

describe("NEWS2 (mirrors vitals.rs tests)", () => {
  it("scores a normal adult 0, low risk", () => {
    const m = full(16, 97, false, 120, 70, "alert", 37.0);
    expect(news2(m)).toBe(0);
    expect(news2Risk(0, news2HasRedScore(m))).toBe("low");
  });
  it("follows the RCP chart", () => {
    const m = full(22, 93, true, 105, 115, "alert", 38.5);
    expect(news2(m)).toBe(10);
    expect(news2Summary(m, null)).toEqual({ total: 10, risk: "high" });
    const confused = full(16, 97, false, 120, 70, "confused", 37.0);
    expect(news2(confused)).toBe(3);
    expect(news2HasRedScore(confused)).toBe(true);
    expect(news2Summary(confused, null)).toEqual({ total: 3, risk: "low_medium" });
  });
  it.each([
    [35.0, 3],
    [35.1, 1],
    [38.0, 0],
    [38.1, 1],
    [39.1, 2],
  ])("temperature %s scores %s", (t, s) => {
    expect(news2(full(16, 97, false, 120, 70, "alert", t))).toBe(s);
  });
  it("scores each parameter at its band edges", () => {
    const base = full(16, 97, false, 120, 70, "alert", 37.0);
    expect(news2({ ...base, respiratory_rate_bpm: 8 })).toBe(3);
    expect(news2({ ...base, respiratory_rate_bpm: 9 })).toBe(1);
    expect(news2({ ...base, respiratory_rate_bpm: 21 })).toBe(2);
    expect(news2({ ...base, respiratory_rate_bpm: 25 })).toBe(3);
    expect(news2({ ...base, spo2_pct: 91 })).toBe(3);
    expect(news2({ ...base, spo2_pct: 95 })).toBe(1);
    expect(news2({ ...base, systolic_mmhg: 100 })).toBe(2);
    expect(news2({ ...base, systolic_mmhg: 219 })).toBe(0);
    expect(news2({ ...base, systolic_mmhg: 220 })).toBe(3);
    expect(news2({ ...base, heart_rate_bpm: 40 })).toBe(3);
    expect(news2({ ...base, heart_rate_bpm: 131 })).toBe(3);
    expect(news2({ ...base, on_oxygen: true })).toBe(2);
  });
  it("needs every parameter and says which are missing", () => {
    const m = full(16, 97, false, 120, 70, "alert", 37.0);
    delete m.consciousness;
    expect(news2(m)).toBeNull();
    expect(news2Summary(m, null)).toBeNull();
    expect(news2Missing(m)).toEqual(["consciousness"]);
    expect(news2Missing({})).toHaveLength(7);
  });
  it("bands totals: 5–6 medium, 7+ high, oxygen alone is never red", () => {
    expect(news2Risk(4, false)).toBe("low");
    expect(news2Risk(4, true)).toBe("low_medium");
    expect(news2Risk(5, false)).toBe("medium");
    expect(news2Risk(6, true)).toBe("medium");
    expect(news2Risk(7, false)).toBe("high");
    expect(news2HasRedScore(full(16, 97, true, 120, 70, "alert", 37.0))).toBe(false);
    expect(news2RiskText("low_medium").label).toBe("Low-medium");
    expect(news2RiskText("high").response).toMatch(/emergency/);
  });
});

describe("impossible values (validate)", () => {
  it("refuses by field", () => {
    const e = validateMeasurements({ systolic_mmhg: 400, diastolic_mmhg: 80, spo2_pct: 101, temperature_c: 3.7 });
    expect(Object.keys(e).sort()).toEqual(["spo2_pct", "systolic_mmhg", "temperature_c"]);
    expect(e.systolic_mmhg).toEqual(["must be between 40 and 300 mmHg"]);
  });
  it("wants blood pressure in pairs with diastolic lower, and at least one value", () => {
    expect(validateMeasurements({ systolic_mmhg: 120 }).diastolic_mmhg).toEqual(["is required with systolic"]);
    expect(validateMeasurements({ diastolic_mmhg: 80 }).systolic_mmhg).toEqual(["is required with diastolic"]);
    expect(validateMeasurements({ systolic_mmhg: 80, diastolic_mmhg: 90 }).diastolic_mmhg).toEqual([
      "must be below systolic",
    ]);
    expect(validateMeasurements({}).measurements).toBeDefined();
    expect(validateMeasurements({ on_oxygen: true }).measurements).toBeDefined();
    expect(validateMeasurements({ heart_rate_bpm: 72 })).toEqual({});
  });
});

describe("abnormal flags", () => {
  it("flags but accepts abnormal values, in the Rust order", () => {
    const m: Measurements = {
      systolic_mmhg: 150,
      diastolic_mmhg: 95,
      spo2_pct: 91,
      temperature_c: 38.2,
      weight_kg: 100,
      height_cm: 170,
    };
    expect(validateMeasurements(m)).toEqual({});
    expect(flags(m)).toEqual([
      "systolic_mmhg:high",
      "diastolic_mmhg:high",
      "temperature_c:high",
      "spo2_pct:low",
      "bmi:high",
    ]);
    expect(bmi(m)).toBe(34.6);
  });
  it("uses the threshold edges of vitals.rs", () => {
    expect(flags({ systolic_mmhg: 90, diastolic_mmhg: 59 })).toEqual(["systolic_mmhg:low", "diastolic_mmhg:low"]);
    expect(flags({ systolic_mmhg: 139, diastolic_mmhg: 89 })).toEqual([]);
    expect(flags({ heart_rate_bpm: 50 })).toEqual(["heart_rate_bpm:low"]);
    expect(flags({ heart_rate_bpm: 91 })).toEqual(["heart_rate_bpm:high"]);
    expect(flags({ respiratory_rate_bpm: 11 })).toEqual(["respiratory_rate_bpm:low"]);
    expect(flags({ respiratory_rate_bpm: 21 })).toEqual(["respiratory_rate_bpm:high"]);
    expect(flags({ temperature_c: 35.0 })).toEqual(["temperature_c:low"]);
    expect(flags({ temperature_c: 37.9 })).toEqual([]);
    expect(flags({ spo2_pct: 94 })).toEqual([]);
    expect(flags({ pain_score: 7 })).toEqual(["pain_score:high"]);
    expect(flags({ consciousness: "voice" })).toEqual(["consciousness:high"]);
    expect(flags({ weight_kg: 50, height_cm: 170 })).toEqual(["bmi:low"]);
  });
  it("finds a field's flag in a list", () => {
    expect(flagOf(["spo2_pct:low", "bmi:high"], "spo2_pct")).toBe("low");
    expect(flagOf(["spo2_pct:low", "bmi:high"], "bmi")).toBe("high");
    expect(flagOf(["spo2_pct:low"], "heart_rate_bpm")).toBeNull();
  });
});

describe("checking a field as typed", () => {
  it("refuses at once what more typing cannot fix", () => {
    expect(checkField("systolic_mmhg", "abc", null, false).error).toBe("must be a number");
    expect(checkField("systolic_mmhg", "12.5", null, false).error).toBe("must be a whole number");
    expect(checkField("heart_rate_bpm", "72.", null, false).error).toBe("must be a whole number");
    expect(checkField("temperature_c", ".", "C", false).error).toBe("must be a number");
    expect(checkField("temperature_c", "-3", "C", false).error).toBe("must be a number");
    expect(checkField("systolic_mmhg", "400", null, false).error).toBe("must be between 40 and 300 mmHg");
    expect(checkField("spo2_pct", "101", null, false).error).toBe("must be between 20 and 100 %");
  });
  it("waits for the person to finish before refusing a low value", () => {
    expect(checkField("systolic_mmhg", "1", null, false)).toEqual({});
    expect(checkField("systolic_mmhg", "12", null, false)).toEqual({});
    expect(checkField("systolic_mmhg", "12", null, true).error).toBe("must be between 40 and 300 mmHg");
    expect(checkField("temperature_c", "37.", null, false)).toEqual({});
    expect(checkField("temperature_c", "37.", null, true).error).toBe("must be a number");
  });
  it("returns SI values for possible input", () => {
    expect(checkField("systolic_mmhg", "120", null, true)).toEqual({ value: 120 });
    expect(checkField("temperature_c", "37,5", "C", true)).toEqual({ value: 37.5 });
    expect(checkField("temperature_c", "98.6", "F", true)).toEqual({ value: 37 });
    expect(checkField("weight_kg", "154", "lb", true)).toEqual({ value: 69.9 });
    expect(checkField("height_cm", "", "cm", true)).toEqual({});
  });
  it("words limits in the typed unit, rounded inward", () => {
    expect(checkField("temperature_c", "120", "F", false).error).toBe("must be between 77 and 113 °F");
    expect(checkField("temperature_c", "3.7", "C", true).error).toBe("must be between 25 and 45 °C");
    expect(limitInUnit(0.2, "lb", "min")).toBe(0.5);
    expect(limitInUnit(280, "in", "max")).toBe(110.2);
    expect(checkField("weight_kg", "0.5", "lb", true).value).toBeGreaterThanOrEqual(0.2);
    expect(checkField("weight_kg", "0.4", "lb", true).error).toBe("must be between 0.5 and 1433 lb");
  });
  it("builds the set from checked values only", () => {
    expect(measurementsFrom({ heart_rate_bpm: 70, spo2_pct: undefined }, "alert", false)).toEqual({
      heart_rate_bpm: 70,
      consciousness: "alert",
      on_oxygen: false,
    });
  });
});

describe("age: adult bands and NEWS2 from 16 (mirrors flags_for_age / news2_for_age)", () => {
  // The set of the Rust test `children_get_no_adult_bands_and_no_news2`.
  const set: Measurements = {
    systolic_mmhg: 100,
    diastolic_mmhg: 60,
    heart_rate_bpm: 110,
    respiratory_rate_bpm: 24,
    spo2_pct: 93,
    on_oxygen: false,
    consciousness: "alert",
    temperature_c: 38.5,
    weight_kg: 27.8,
    height_cm: 127.9,
  };

  it("uses the constants of vitals.rs", () => {
    expect(RULES.adult_from_age).toBe(16);
    expect(RULES.child_spo2_low_below).toBe(92);
  });
  const at = (years: number) => ({ years, days: years * 365 + Math.floor(years / 4) + 10 });
  it("flags a 12-year-old by the children's bands and gives no NEWS2", () => {
    expect(bmi(set)).toBe(17.0); // still computed for display, but not flagged
    // HR 110 (APLS 60–100 from 12), RR 24 (15–20), fever; 100/60 is below the AAP values
    expect(flagsForAge(set, at(12), "female")).toEqual(["heart_rate_bpm:high", "respiratory_rate_bpm:high", "temperature_c:high"]);
    expect(news2ForAge(set, at(12))).toBeNull();
    expect(news2Summary(set, at(12))).toBeNull();
  });
  it("flags the issue's children: a 12-year-old at 168 systolic and 112/min, a 2-year-old at 190/min", () => {
    expect(flagsForAge({ systolic_mmhg: 168, diastolic_mmhg: 70, heart_rate_bpm: 112 }, at(12), "male")).toEqual(["systolic_mmhg:high", "heart_rate_bpm:high"]);
    expect(flagsForAge({ heart_rate_bpm: 190 }, at(2), "female")).toEqual(["heart_rate_bpm:high"]);
  });
  it("judges blood pressure by sex as AAP 2017 table 6 does, the lower value when sex is not female or male", () => {
    // 2 years: boys 100/55, girls 101/58
    expect(flagsForAge({ systolic_mmhg: 100, diastolic_mmhg: 57 }, at(2), "female")).toEqual([]);
    expect(flagsForAge({ systolic_mmhg: 100, diastolic_mmhg: 57 }, at(2), "male")).toEqual(["systolic_mmhg:high", "diastolic_mmhg:high"]);
    expect(flagsForAge({ systolic_mmhg: 100, diastolic_mmhg: 57 }, at(2), "unknown")).toEqual(["systolic_mmhg:high", "diastolic_mmhg:high"]);
  });
  it("tells a neonate from an older infant by days (PALS hypotension < 60 to day 28, then < 70)", () => {
    const sbp65 = { systolic_mmhg: 65, diastolic_mmhg: 40 };
    expect(flagsForAge(sbp65, { years: 0, days: 28 }, "female")).toEqual([]);
    expect(flagsForAge(sbp65, { years: 0, days: 29 }, "female")).toEqual(["systolic_mmhg:low"]);
  });
  it("flags the same set by adult bands for a 40-year-old", () => {
    expect(flagsForAge(set, at(40), "female")).toEqual([
      "heart_rate_bpm:high",
      "respiratory_rate_bpm:high",
      "temperature_c:high",
      "spo2_pct:low",
      "bmi:low",
    ]);
    // RR 24 (2) + SpO2 93 (2) + air (0) + sys 100 (2) + HR 110 (1) + alert (0) + 38.5 (1)
    expect(news2ForAge(set, at(40))).toBe(8);
    expect(news2Summary(set, at(40))).toEqual({ total: 8, risk: "high" });
  });
  it("switches at exactly 16", () => {
    expect(adultThresholdsApply(at(15))).toBe(false);
    expect(adultThresholdsApply(at(16))).toBe(true);
    expect(flagsForAge(set, at(15), "female")).not.toContain("bmi:low");
    expect(news2ForAge(set, at(15))).toBeNull();
    expect(flagsForAge(set, at(16), "female")).toEqual(flags(set));
    expect(flagsForAge(set, at(16), "female")).toContain("bmi:low");
    expect(news2ForAge(set, at(16))).toBe(8);
  });
  it("flags a child's SpO2 below 92, not 92 or 93", () => {
    expect(flagsForAge({ spo2_pct: 91 }, at(12), "male")).toEqual(["spo2_pct:low"]);
    expect(flagsForAge({ spo2_pct: 92 }, at(12), "male")).toEqual([]);
    expect(flagsForAge({ spo2_pct: 93 }, at(12), "male")).toEqual([]);
    expect(flagsForAge({ spo2_pct: 93 }, at(16), "male")).toEqual(["spo2_pct:low"]);
  });
  it("keeps the age-independent flags for children, in the Rust order", () => {
    expect(flagsForAge({ temperature_c: 35.0, pain_score: 7, consciousness: "voice", spo2_pct: 90 }, at(5), "other")).toEqual([
      "consciousness:high",
      "temperature_c:low",
      "spo2_pct:low",
      "pain_score:high",
    ]);
    expect(flagsForAge({ temperature_c: 37.9, pain_score: 6, consciousness: "alert" }, at(5), "other")).toEqual([]);
    // an 8-year-old's 150/95, 45/min and RR 10 are all abnormal for the age
    expect(flagsForAge({ systolic_mmhg: 150, diastolic_mmhg: 95, heart_rate_bpm: 45, respiratory_rate_bpm: 10 }, at(8), "female")).toEqual([
      "systolic_mmhg:high",
      "diastolic_mmhg:high",
      "heart_rate_bpm:low",
      "respiratory_rate_bpm:low",
    ]);
  });
  it("treats unknown age as adult", () => {
    expect(adultThresholdsApply(null)).toBe(true);
    expect(flagsForAge(set, null, "unknown")).toEqual(flags(set));
    expect(flagsForAge(set, null, "unknown")).toContain("heart_rate_bpm:high");
    expect(news2ForAge(set, null)).toBe(news2(set));
    expect(news2ForAge(set, null)).toBe(8);
  });
  it("takes the age on the clinic's calendar date of the measurement, as the server does", () => {
    // New York (UTC-4 in March 2026): 03:30Z on the 15th is still 23:30 on the 14th locally.
    expect(ageAtMeasurement("2010-03-15", "2026-03-15T03:30:00Z", "America/New_York")?.years).toBe(15);
    // 05:30Z is 01:30 on the 15th locally: the birthday has come.
    expect(ageAtMeasurement("2010-03-15", "2026-03-15T05:30:00Z", "America/New_York")?.years).toBe(16);
    // Tokyo (UTC+9) is ahead: 16:00Z on the 14th is 01:00 on the 15th there.
    expect(ageAtMeasurement("2010-03-15", "2026-03-14T16:00:00Z", "Asia/Tokyo")?.years).toBe(16);
    expect(ageAtMeasurement("2010-03-15", "2026-03-14T14:59:00Z", "Asia/Tokyo")?.years).toBe(15);
    // In UTC itself the zoned date is the UTC date.
    expect(ageAtMeasurement("2008-07-15", "2024-07-14T23:30:00Z", "UTC")?.years).toBe(15);
    expect(ageAtMeasurement("2008-07-15", "2024-07-15T00:10:00Z", "UTC")?.years).toBe(16);
    expect(ageAtMeasurement("2012-03-01", "2024-07-15T10:00:00Z", "Europe/London")?.years).toBe(12);
    expect(ageAtMeasurement(null, "2024-07-15T10:00:00Z", "America/New_York")).toBeNull();
    expect(ageAtMeasurement("not a date", "2024-07-15T10:00:00Z", "America/New_York")).toBeNull();
    expect(ageAtMeasurement("2012-03-01", "garbage", "America/New_York")).toBeNull();
  });
  it("decides the adult rules on the clinic's date: the same instant is a child in New York, an adult in Tokyo", () => {
    const set = full(25, 91, true, 88, 135, "confused", 39.5);
    const instant = "2026-03-14T23:00:00Z"; // 19:00 on the 14th in New York, 08:00 on the 15th in Tokyo
    const ny = ageAtMeasurement("2010-03-15", instant, "America/New_York");
    const tokyo = ageAtMeasurement("2010-03-15", instant, "Asia/Tokyo");
    expect(ny?.years).toBe(15);
    expect(tokyo?.years).toBe(16);
    expect(news2ForAge(set, ny)).toBeNull();
    expect(news2ForAge(set, tokyo)).toBe(19);
    // 135/85: high at 15 (AAP 2017, 120/80 from 13), not at 16 (adult 140/90)
    const bp = { systolic_mmhg: 135, diastolic_mmhg: 85 };
    expect(flagsForAge(bp, ny, "female")).toEqual(["systolic_mmhg:high", "diastolic_mmhg:high"]);
    expect(flagsForAge(bp, tokyo, "female")).toEqual([]);
  });
});

describe("thresholds shared by the flags and the trend charts", () => {
  it("flag at the same edges the chart shades", () => {
    expect(thresholdFlag(ADULT_THRESHOLDS.systolic_mmhg, 90)).toBe("low");
    expect(thresholdFlag(ADULT_THRESHOLDS.systolic_mmhg, 91)).toBeNull();
    expect(thresholdFlag(ADULT_THRESHOLDS.diastolic_mmhg, 60)).toBeNull();
    expect(thresholdFlag(ADULT_THRESHOLDS.diastolic_mmhg, 59)).toBe("low");
    expect(thresholdFlag(ADULT_THRESHOLDS.spo2_pct, 100)).toBeNull();
    expect(thresholdFlag(ADULT_THRESHOLDS.temperature_c, 38.0)).toBe("high");
  });

  it("under 16 every field but the BMI has a children's band", () => {
    const ten = { years: 10, days: 3660 };
    expect(Object.keys(thresholdsForAge(ten, "female")).sort()).toEqual([
      "diastolic_mmhg",
      "heart_rate_bpm",
      "pain_score",
      "respiratory_rate_bpm",
      "spo2_pct",
      "systolic_mmhg",
      "temperature_c",
    ]);
    expect(thresholdFlag(thresholdsForAge(ten, "female").spo2_pct!, 92)).toBeNull();
    expect(thresholdFlag(thresholdsForAge(ten, "female").spo2_pct!, 91)).toBe("low");
    expect(thresholdsForAge(null, "female")).toBe(ADULT_THRESHOLDS);
  });
});
