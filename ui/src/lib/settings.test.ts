import { describe, expect, it } from "vitest";
import { checkClinicCode, checkServerUrl, checkTheme, checkUnits, isLoopbackHost } from "./settings";

describe("server address", () => {
  it("accepts https anywhere and http on this computer, dropping a trailing slash", () => {
    expect(checkServerUrl(" https://clinic.example:8443/ ")).toEqual({ ok: true, value: "https://clinic.example:8443" });
    expect(checkServerUrl("http://127.0.0.1:8080")).toEqual({ ok: true, value: "http://127.0.0.1:8080" });
    expect(checkServerUrl("http://localhost:8080/")).toEqual({ ok: true, value: "http://localhost:8080" });
    expect(checkServerUrl("http://[::1]:8080").ok).toBe(true);
  });

  it("refuses plain http to another computer unless allowed, saying why", () => {
    const r = checkServerUrl("http://10.1.2.3:8080");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain("unencrypted");
    expect(checkServerUrl("http://10.1.2.3:8080", true).ok).toBe(true);
  });

  it("refuses what is no web address", () => {
    expect(checkServerUrl("")).toEqual({ ok: false, error: "is required" });
    for (const bad of ["clinic.example", "ftp://clinic.example", "https://", "https://exa mple.org"]) expect(checkServerUrl(bad).ok, bad).toBe(false);
  });

  it("knows loopback hosts", () => {
    expect(isLoopbackHost("127.3.4.5")).toBe(true);
    expect(isLoopbackHost("LOCALHOST")).toBe(true);
    expect(isLoopbackHost("128.0.0.1")).toBe(false);
    expect(isLoopbackHost("localhost.example")).toBe(false);
  });
});

describe("clinic code", () => {
  it("lower-cases a good code and explains a bad one", () => {
    expect(checkClinicCode(" Demo ")).toEqual({ ok: true, value: "demo" });
    expect(checkClinicCode("north-clinic-2")).toEqual({ ok: true, value: "north-clinic-2" });
    expect(checkClinicCode("")).toEqual({ ok: false, error: "is required" });
    for (const bad of ["a", "-demo", "my clinic", "démo", "x".repeat(64)]) expect(checkClinicCode(bad).ok, bad).toBe(false);
  });
});

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
