// Possible duplicates while registering: when to ask the core (`possible_duplicates`), how to
// word a match, and whether "Register a new patient anyway" still holds for what is typed.

import type { DuplicateReason } from "../bindings/DuplicateReason";
import { checkDateOfBirth } from "./dates";

/** What the core is asked: names as typed (trimmed) and the date of birth as `YYYY-MM-DD`. */
export interface DuplicateQuery {
  given_name: string;
  family_name: string;
  date_of_birth: string;
}

/**
 * The question to ask for the typed values, or null while the family name is empty or the
 * date of birth is not a valid date yet (`today`: the clinic's date, to refuse future dates).
 */
export function duplicateQuery(
  v: { given_name: string; family_name: string; date_of_birth: string },
  today: string,
): DuplicateQuery | null {
  const family = v.family_name.trim();
  if (family === "") return null;
  const dob = checkDateOfBirth(v.date_of_birth.trim(), today);
  if (!dob.ok) return null;
  return { given_name: v.given_name.trim(), family_name: family, date_of_birth: dob.date };
}

/**
 * A key for a query: a confirmation ("register anyway") given for one name and date of birth
 * does not carry over to another. Case and surrounding spaces do not change it.
 */
export function duplicateKey(q: DuplicateQuery | null): string {
  if (!q) return "";
  return [q.given_name, q.family_name, q.date_of_birth].map((s) => s.trim().toLowerCase()).join("|");
}

/** Words for why a record matched. */
export function reasonText(r: DuplicateReason): string {
  switch (r) {
    case "same_name":
      return "Same name and date of birth";
    case "swapped":
      return "Same date of birth, given and family names swapped";
    default:
      return "Same date of birth, similar name";
  }
}

/** The sentence announced when the list changes ("2 possible existing records …"). */
export function duplicatesAnnouncement(count: number): string {
  if (count === 0) return "";
  return count === 1
    ? "1 possible existing record with this name and date of birth. Open it, or choose Register a new patient anyway."
    : `${count} possible existing records with this name and date of birth. Open one, or choose Register a new patient anyway.`;
}
