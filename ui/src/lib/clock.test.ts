import { afterEach, describe, expect, it } from "vitest";
import { clockDistance, clockFieldNote, clockWarning, nowMs, setClockAhead } from "./clock";

describe("the server's clock", () => {
  afterEach(() => setClockAhead(0));

  it("corrects now by what the core learned, both ways", () => {
    setClockAhead(20 * 60_000);
    expect(Math.abs(Date.now() - nowMs() - 20 * 60_000)).toBeLessThan(50);
    setClockAhead(-3 * 3_600_000);
    expect(Math.abs(nowMs() - Date.now() - 3 * 3_600_000)).toBeLessThan(50);
    setClockAhead(Number.NaN);
    expect(Math.abs(nowMs() - Date.now())).toBeLessThan(50);
  });

  it("says how far off the clock is as a person would", () => {
    expect(clockDistance(20 * 60_000 - 400)).toBe("20 min");
    expect(clockDistance(-(3 * 3_600_000 + 450))).toBe("3 h");
    expect(clockDistance(125 * 60_000)).toBe("2 h 5 min");
    expect(clockDistance(5 * 86_400_000)).toBe("5 days");
    expect(clockDistance(61_000)).toBe("1 min");
  });

  it("notes at a time field only when the core says the clock is wrong", () => {
    setClockAhead(20 * 60_000, false);
    expect(clockFieldNote()).toBe("");
    setClockAhead(20 * 60_000, true);
    expect(clockFieldNote()).toBe("The time below is right (from the server). This computer's clock is 20 min fast: tell IT.");
    setClockAhead(0, true);
    expect(clockFieldNote()).toBe("");
  });

  it("warns only when the core says the clock is wrong", () => {
    expect(clockWarning(59_000, false)).toBe("");
    expect(clockWarning(20 * 60_000, true)).toMatch(/^This computer's clock is 20 min fast\. .*ask IT/);
    expect(clockWarning(-3 * 3_600_000, true)).toMatch(/^This computer's clock is 3 h slow\./);
  });
});
