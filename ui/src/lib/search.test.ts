import { describe, expect, it } from "vitest";
import { describeSearch, describeTerm, unambiguousDate } from "./search";

describe("search in words", () => {
  it("writes dates with the month as a word", () => {
    expect(unambiguousDate("1984-07-02")).toBe("2 Jul 1984");
    expect(unambiguousDate("1990-12-25")).toBe("25 Dec 1990");
    expect(unambiguousDate("not a date")).toBe("not a date");
  });

  it("shows both readings of an ambiguous date of birth", () => {
    expect(describeTerm({ kind: "birth_date", value: ["1990-04-03", "1990-03-04"] })).toBe("born 3 Apr 1990 or 4 Mar 1990");
  });

  it("names names, digits and MRNs", () => {
    expect(describeTerm({ kind: "name", value: "garc" })).toBe("name starting “garc”");
    expect(describeTerm({ kind: "digits", value: "0187" })).toBe("MRN, phone or identifier with 0187");
    expect(describeTerm({ kind: "digit_groups", value: ["943", "476", "5919"] })).toBe("MRN, phone or identifier with 943 476 5919");
    expect(describeTerm({ kind: "mrn", value: "P-1a2b" })).toBe("MRN or identifier P-1a2b");
  });

  it("joins terms with 'and' because every term must match, and says nothing for nothing", () => {
    expect(describeSearch([])).toBe("");
    expect(
      describeSearch([
        { kind: "name", value: "maria" },
        { kind: "birth_date", value: ["1945-09-01"] },
      ]),
    ).toBe("Looking for name starting “maria” and born 1 Sep 1945");
  });
});
