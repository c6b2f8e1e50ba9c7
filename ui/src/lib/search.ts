// Saying back what the patient search understood (parsed by the core, `SearchTerm`), so a
// receptionist sees at once how "3/4/1990" was read (in the clinic's date order; both ways in an
// ISO clinic), or that digits matched a phone.

import type { SearchTerm } from "../bindings/SearchTerm";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `1984-07-02` → "2 Jul 1984": month as a word, so day/month order cannot be misread. */
export function unambiguousDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return iso;
  const month = MONTHS[Number(m[2]) - 1];
  return month ? `${Number(m[3])} ${month} ${m[1]}` : iso;
}

/** One term in words: `name starting “garc”`, `born 3 Apr 1990 or 4 Mar 1990`, … */
export function describeTerm(t: SearchTerm): string {
  switch (t.kind) {
    case "name":
      return `name starting “${t.value}”`;
    case "birth_date":
      return `born ${t.value.map(unambiguousDate).join(" or ")}`;
    case "digits":
      return `MRN, phone or identifier with ${t.value}`;
    case "digit_groups":
      // matched whole (an identifier as printed) or group by group (a phone in parts)
      return `MRN, phone or identifier with ${t.value.join(" ")}`;
    case "mrn":
      return `MRN or identifier ${t.value}`;
  }
}

/** The whole search in words ("" for an empty query): every term must match. */
export function describeSearch(terms: SearchTerm[]): string {
  if (terms.length === 0) return "";
  return `Looking for ${terms.map(describeTerm).join(" and ")}`;
}
