import { describe, expect, it } from "vitest";
import { checkTheme, checkUnits } from "./settings";

describe("units and theme", () => {
  it("accepts the offered units and names the field of an unknown one", () => {
    expect(checkUnits({ temperature: "F", weight: "lb", height: "in" })).toEqual({ ok: true, value: { temperature: "F", weight: "lb", height: "in" } });
    const r = checkUnits({ temperature: "K", weight: "kg", height: "ft" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors).sort()).toEqual(["height", "temperature"]);
  });

  it("accepts the three theme choices only", () => {
    expect(checkTheme("dark")).toEqual({ ok: true, value: "dark" });
    expect(checkTheme("system")).toEqual({ ok: true, value: "system" });
    expect(checkTheme("blue").ok).toBe(false);
  });
});
