import { describe, expect, it } from "vitest";
import {
  celsiusToFahrenheit,
  convertedDecimals,
  decimalsOf,
  fahrenheitToCelsius,
  formatInUnit,
  fromSi,
  kilogramsToPounds,
  loadUnitPrefs,
  poundsToKilograms,
  roundTo,
  saveUnitPrefs,
  toSi,
  type KeyValueStore,
} from "./units";

describe("plain conversions", () => {
  it("converts the fixed points of temperature", () => {
    expect(fahrenheitToCelsius(32)).toBe(0);
    expect(fahrenheitToCelsius(212)).toBe(100);
    expect(celsiusToFahrenheit(37)).toBeCloseTo(98.6, 10);
    expect(fahrenheitToCelsius(-40)).toBe(-40);
  });
  it("uses the exact pound and inch", () => {
    expect(poundsToKilograms(1)).toBe(0.45359237);
    expect(kilogramsToPounds(0.45359237)).toBe(1);
    expect(toSi(1, "1.00", "in")).toBe(2.54);
  });
});

describe("precision as typed", () => {
  it("counts typed decimals, comma or dot", () => {
    expect(decimalsOf("37")).toBe(0);
    expect(decimalsOf("98.6")).toBe(1);
    expect(decimalsOf("70,25")).toBe(2);
  });
  it("gives converted values one place more than typed", () => {
    expect(convertedDecimals(1, 5 / 9)).toBe(2);
    expect(convertedDecimals(0, 2.54)).toBe(1);
    expect(convertedDecimals(2, 1)).toBe(2);
  });
  it("converts °F to °C without inventing or losing precision", () => {
    expect(toSi(98.6, "98.6", "F")).toBe(37);
    expect(toSi(100.4, "100.4", "F")).toBe(38);
    expect(toSi(99.1, "99.1", "F")).toBe(37.28);
    expect(toSi(101, "101", "F")).toBe(38.3);
  });
  it("converts lb and in to kg and cm", () => {
    expect(toSi(154, "154", "lb")).toBe(69.9);
    expect(toSi(154.5, "154.5", "lb")).toBe(70.08);
    expect(toSi(70, "70", "in")).toBe(177.8);
    expect(toSi(65.5, "65.5", "in")).toBe(166.37);
  });
  it("leaves SI values exactly as typed", () => {
    expect(toSi(37.25, "37.25", "C")).toBe(37.25);
    expect(toSi(72.4, "72.4", "kg")).toBe(72.4);
  });

  it("round-trips every typed value back to itself", () => {
    const cases: Array<["F" | "lb" | "in", string]> = [];
    for (let f = 900; f <= 1100; f += 1) cases.push(["F", (f / 10).toFixed(1)]);
    for (let f = 90; f <= 110; f += 1) cases.push(["F", String(f)]);
    for (let lb = 10; lb <= 4000; lb += 7) cases.push(["lb", (lb / 10).toFixed(1)]);
    for (let lb = 2; lb <= 400; lb += 1) cases.push(["lb", String(lb)]);
    for (let i = 1000; i <= 10000; i += 25) cases.push(["in", (i / 100).toFixed(2)]);
    const broken = cases.filter(([unit, typed]) => {
      const si = toSi(Number(typed), typed, unit);
      return roundTo(fromSi(si, unit), decimalsOf(typed)).toFixed(decimalsOf(typed)) !== typed;
    });
    expect(cases.length).toBeGreaterThan(1500);
    expect(broken).toEqual([]);
  });
});

describe("display", () => {
  it("shows SI values in the chosen unit", () => {
    expect(formatInUnit(37, "F")).toBe("98.6");
    expect(formatInUnit(70, "lb")).toBe("154.3");
    expect(formatInUnit(180, "in")).toBe("70.9");
    expect(formatInUnit(36.55, "C")).toBe("36.6");
  });
});

describe("remembered units", () => {
  const memory = (): KeyValueStore & { data: Map<string, string> } => {
    const data = new Map<string, string>();
    return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
  };
  it("defaults to SI and remembers a choice", () => {
    const s = memory();
    expect(loadUnitPrefs(s)).toEqual({ temperature: "C", weight: "kg", height: "cm" });
    saveUnitPrefs(s, { temperature: "F", weight: "lb", height: "in" });
    expect(loadUnitPrefs(s)).toEqual({ temperature: "F", weight: "lb", height: "in" });
  });
  it("ignores garbage in storage", () => {
    const s = memory();
    s.setItem("medoffice.units", "{not json");
    expect(loadUnitPrefs(s).temperature).toBe("C");
    s.setItem("medoffice.units", JSON.stringify({ temperature: "K", weight: "lb" }));
    expect(loadUnitPrefs(s)).toEqual({ temperature: "C", weight: "lb", height: "cm" });
  });
});
