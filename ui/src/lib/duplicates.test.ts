import { describe, expect, it } from "vitest";
import { duplicateKey, duplicateQuery, duplicatesAnnouncement, reasonText } from "./duplicates";

const TODAY = "2026-05-21";

describe("duplicateQuery", () => {
  it("waits for a family name and a valid date of birth", () => {
    expect(duplicateQuery({ given_name: "Ann", family_name: "", date_of_birth: "1980-01-02" }, TODAY)).toBeNull();
    expect(duplicateQuery({ given_name: "Ann", family_name: "Smith", date_of_birth: "1980-01" }, TODAY)).toBeNull();
    expect(duplicateQuery({ given_name: "Ann", family_name: "Smith", date_of_birth: "2030-01-01" }, TODAY)).toBeNull();
  });

  it("asks with the date as YYYY-MM-DD, whatever format was typed, and trimmed names", () => {
    expect(duplicateQuery({ given_name: " Ann ", family_name: " Smith", date_of_birth: "02.01.1980" }, TODAY)).toEqual({
      given_name: "Ann",
      family_name: "Smith",
      date_of_birth: "1980-01-02",
    });
    // the given name may still be empty
    expect(duplicateQuery({ given_name: "", family_name: "Smith", date_of_birth: "1980-01-02" }, TODAY)?.given_name).toBe("");
  });
});

describe("duplicateKey", () => {
  it("changes with the name or the date, not with case or spaces", () => {
    const a = duplicateQuery({ given_name: "Ann", family_name: "Smith", date_of_birth: "1980-01-02" }, TODAY);
    const b = duplicateQuery({ given_name: "ann ", family_name: "SMITH", date_of_birth: "02.01.1980" }, TODAY);
    const c = duplicateQuery({ given_name: "Ann", family_name: "Smyth", date_of_birth: "1980-01-02" }, TODAY);
    expect(duplicateKey(a)).toBe(duplicateKey(b));
    expect(duplicateKey(a)).not.toBe(duplicateKey(c));
    expect(duplicateKey(null)).toBe("");
  });
});

describe("words", () => {
  it("says why a record matched", () => {
    expect(reasonText("same_name")).toBe("Same name and date of birth");
    expect(reasonText("swapped")).toMatch(/swapped/);
    expect(reasonText("similar_name")).toMatch(/similar name/);
  });

  it("announces the count, nothing when none", () => {
    expect(duplicatesAnnouncement(0)).toBe("");
    expect(duplicatesAnnouncement(1)).toMatch(/^1 possible existing record with/);
    expect(duplicatesAnnouncement(3)).toMatch(/^3 possible existing records/);
  });
});
