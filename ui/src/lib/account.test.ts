import { describe, expect, it } from "vitest";
import { groupSecret, parseSecondFactor, parseTotpCode, passwordRuleErrors, recoveryCodesText } from "./account";

describe("second-factor field at sign-in", () => {
  it("takes six digits, with the space apps show", () => {
    expect(parseSecondFactor("123456")).toEqual({ ok: true, kind: "totp", code: "123456" });
    expect(parseSecondFactor(" 123 456 ")).toEqual({ ok: true, kind: "totp", code: "123456" });
  });
  it("takes a recovery code in any case, with or without its hyphen", () => {
    expect(parseSecondFactor("7kq2-m9xd")).toEqual({ ok: true, kind: "recovery", code: "7kq2-m9xd" });
    expect(parseSecondFactor("7KQ2M9XD")).toEqual({ ok: true, kind: "recovery", code: "7kq2-m9xd" });
    expect(parseSecondFactor("7kq2 m9xd")).toEqual({ ok: true, kind: "recovery", code: "7kq2-m9xd" });
  });
  it("says what is wrong otherwise", () => {
    expect(parseSecondFactor("")).toMatchObject({ ok: false });
    expect(parseSecondFactor("12345")).toEqual({ ok: false, error: "must be 6 digits (you typed 5)" });
    expect(parseSecondFactor("7kq2-m9x")).toMatchObject({ ok: false });
    expect(parseSecondFactor("hello world!")).toMatchObject({ ok: false });
  });
  it("wants an app code, not a recovery code, to confirm setup", () => {
    expect(parseTotpCode("654 321")).toEqual({ ok: true, code: "654321" });
    expect(parseTotpCode("7kq2-m9xd")).toMatchObject({ ok: false });
  });
});

describe("password rules", () => {
  const base = { username: "nina.nurse", current: "Temporary-0001", next: "", repeat: "" };
  it("accepts a good new password", () => {
    expect(passwordRuleErrors({ ...base, next: "river stone lamp", repeat: "river stone lamp" })).toEqual({});
  });
  it("says which rule failed, on which field", () => {
    expect(passwordRuleErrors({ ...base, next: "short", repeat: "short" })).toEqual({ new_password: ["must be at least 10 characters (it has 5)"] });
    expect(passwordRuleErrors({ ...base, next: "NINA.NURSE", repeat: "NINA.NURSE" })).toEqual({ new_password: ["must not be the username"] });
    expect(passwordRuleErrors({ ...base, next: "Temporary-0001", repeat: "Temporary-0001" })).toEqual({
      new_password: ["must differ from the current password"],
    });
    expect(passwordRuleErrors({ ...base, next: "river stone lamp", repeat: "river stone lump" })).toEqual({ repeat_password: ["does not match the new password"] });
    expect(passwordRuleErrors({ username: "x", current: "", next: "", repeat: "" })).toEqual({
      current_password: ["is required"],
      new_password: ["is required"],
      repeat_password: ["is required: type the new password again"],
    });
    expect(passwordRuleErrors({ ...base, next: "x".repeat(257), repeat: "x".repeat(257) })).toEqual({ new_password: ["must be at most 256 characters"] });
  });
  it("counts characters, not bytes", () => {
    expect(passwordRuleErrors({ ...base, next: "ééééééééé", repeat: "ééééééééé" }).new_password).toEqual(["must be at least 10 characters (it has 9)"]);
  });
});

describe("recovery codes and secrets", () => {
  it("lists the codes, one per line, with whose they are", () => {
    const t = recoveryCodesText(["aaaa-bbbb", "cccc-dddd"], "Ada Admin", "Demo Clinic");
    expect(t).toContain("Ada Admin (Demo Clinic)");
    expect(t).toContain(" 1. aaaa-bbbb\n 2. cccc-dddd");
  });
  it("groups the secret by four", () => {
    expect(groupSecret("JBSWY3DPEHPK3PXPJBSW")).toBe("JBSW Y3DP EHPK 3PXP JBSW");
  });
});
