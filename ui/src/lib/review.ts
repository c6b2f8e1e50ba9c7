// The review list in words, with no DOM: field labels and values of a conflict, reading a new
// value typed for one field, the rebook request, what a discard takes with it.

import type { AppointmentKind } from "../bindings/AppointmentKind";
import type { AppointmentStatus } from "../bindings/AppointmentStatus";
import type { EntityKind } from "../bindings/EntityKind";
import type { HeldEntry } from "../bindings/HeldEntry";
import type { KinRelationship } from "../bindings/KinRelationship";
import type { PatientIdentifier } from "../bindings/PatientIdentifier";
import type { ReviewItem } from "../bindings/ReviewItem";
import { checkDateOfBirth, parseTypedDate } from "./dates";
import { FIELD_LABEL, identifierText, KIN_LABEL, KIND_LABEL, SEX_LABEL, STATUS_LABEL } from "./format";
import { SEXES, isPlausibleEmail, isPlausiblePhone, parseAllergies } from "./patientForm";
import { utcToZoned, zonedToUtc } from "./tz";
import { formatDateTime, parseDate, parseDateTime, parseTime, showDate } from "./locale";
import { durationError } from "./workflow";
import { isLanguageTag, languageName } from "./languages";

/** Labels for fields a conflict can name that the forms' labels do not cover. */
const EXTRA_LABEL: Record<string, string> = {
  emergency_contact_name: "Emergency contact name",
  emergency_contact_phone: "Emergency contact phone",
  first_seen_at: "First seen",
  status: "Status",
  starts_at: "Start time",
  duration_minutes: "Length",
  overbooked: "Overbooked",
};

/** A field's name for a person ("emergency_contact_phone" → "Emergency contact phone"). */
export function fieldLabel(field: string): string {
  const known = EXTRA_LABEL[field] ?? FIELD_LABEL[field];
  if (known) return known;
  const words = field.replace(/_/g, " ").trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : field;
}

export interface ValueContext {
  /** The clinic's time zone, for instants. */
  tz: string;
  /** Staff names, for provider ids. */
  staffName(id: string): string;
}

/** Whether a wire value is "nothing" (null, empty text, empty list). */
export function isEmptyValue(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === "string" && v.trim() === "") || (Array.isArray(v) && v.length === 0);
}

/** A field's wire value as a person reads it, e.g. allergies as a list, a start in clinic time. */
export function formatFieldValue(field: string, v: unknown, c: ValueContext): string {
  if (isEmptyValue(v)) return field === "allergies" || field === "identifiers" ? "None recorded" : "(empty)";
  if (field === "identifiers" && Array.isArray(v)) return (v as PatientIdentifier[]).map(identifierText).join("; ");
  if (Array.isArray(v)) return v.map((x) => String(x)).join(", ");
  if (typeof v === "boolean") return v ? "Yes" : "No";
  if (typeof v === "string") {
    switch (field) {
      case "sex":
        return SEX_LABEL[v as keyof typeof SEX_LABEL] ?? v;
      case "status":
        return STATUS_LABEL[v as AppointmentStatus] ?? v;
      case "kind":
        return KIND_LABEL[v as AppointmentKind] ?? v;
      case "provider_id":
        return c.staffName(v);
      case "starts_at":
        return Number.isNaN(Date.parse(v)) ? v : formatDateTime(v, c.tz);
      case "date_of_birth":
      case "first_seen_at":
        return showDate(v);
      case "next_of_kin_relationship":
        return KIN_LABEL[v as KinRelationship] ?? v;
      case "preferred_language":
        return languageName(v);
      default:
        return v;
    }
  }
  if (typeof v === "number") return field === "duration_minutes" ? `${v} min` : String(v);
  return JSON.stringify(v);
}

/** How a field is typed inline. */
export type EditControl = "text" | "textarea" | "sex" | "date" | "none";

/**
 * How a field is typed inline; "none" for one edited only on the patient's form (a list of
 * identifiers, a yes/no, a choice of relationship): keep mine or theirs here, or edit there.
 */
export function editControl(field: string): EditControl {
  if (field === "identifiers" || field === "interpreter_required" || field === "next_of_kin_relationship" || field === "no_known_allergies") return "none";
  if (field === "sex") return "sex";
  if (field === "address" || field === "notes" || field === "reason") return "textarea";
  if (field === "date_of_birth" || field === "first_seen_at") return "date";
  return "text";
}

/** A wire value as the inline editor shows it to start from. */
export function valueToInput(field: string, v: unknown, tz: string): string {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.map((x) => String(x)).join(", ");
  if (field === "starts_at" && typeof v === "string" && !Number.isNaN(Date.parse(v))) return formatDateTime(v, tz);
  if (editControl(field) === "date" && typeof v === "string") return showDate(v);
  return String(v);
}

export type FieldParse = { ok: true; value: unknown } | { ok: false; error: string };

const REQUIRED_TEXT = new Set(["given_name", "family_name"]);

/**
 * Reads a value typed for one field into its wire form, with the checks the registration form
 * makes (the core checks again). `today` is the clinic's date.
 */
export function parseFieldInput(field: string, text: string, today: string, tz: string): FieldParse {
  const t = text.trim();
  switch (field) {
    case "given_name":
    case "family_name":
      if (t === "") return { ok: false, error: "is required" };
      if ([...t].length > 100) return { ok: false, error: "must be at most 100 characters" };
      return { ok: true, value: t };
    case "date_of_birth": {
      const d = checkDateOfBirth(t, today);
      return d.ok ? { ok: true, value: d.date } : { ok: false, error: d.error };
    }
    case "first_seen_at": {
      if (t === "") return { ok: true, value: null };
      const d = parseTypedDate(t);
      if (!d.ok) return { ok: false, error: d.error };
      return d.date > today ? { ok: false, error: "cannot be in the future" } : { ok: true, value: d.date };
    }
    case "sex":
      return SEXES.some(([s]) => s === t) ? { ok: true, value: t } : { ok: false, error: "is required" };
    case "preferred_language":
      if (t === "") return { ok: true, value: null };
      return isLanguageTag(t) ? { ok: true, value: t } : { ok: false, error: "must be a language code such as es, pt-BR or zh-Hant (BCP 47)" };
    case "phone":
    case "emergency_contact_phone":
    case "next_of_kin_phone":
      if (t === "") return { ok: true, value: null };
      return isPlausiblePhone(t) ? { ok: true, value: t } : { ok: false, error: "must have 5 to 20 digits (spaces, +, -, . and parentheses allowed)" };
    case "email":
      if (t === "") return { ok: true, value: null };
      return isPlausibleEmail(t) ? { ok: true, value: t } : { ok: false, error: "is not an e-mail address" };
    case "allergies":
      return { ok: true, value: parseAllergies(t) };
    case "duration_minutes": {
      const n = /^\d+$/.test(t) ? Number(t) : NaN;
      const error = durationError(n);
      return error === null ? { ok: true, value: n } : { ok: false, error };
    }
    case "starts_at": {
      const p = parseDateTime(t);
      if (!p.ok) return { ok: false, error: `${p.error} (clinic time)` };
      const [date = "", time = ""] = p.value.split(" ");
      return { ok: true, value: zonedToUtc(date, time, tz) };
    }
    default:
      if (REQUIRED_TEXT.has(field) && t === "") return { ok: false, error: "is required" };
      return { ok: true, value: t === "" ? null : t };
  }
}

/** The rebook form as typed. */
export interface RebookValues {
  date: string;
  time: string;
  provider_id: string;
  duration_minutes: string;
}

export type RebookRequest =
  | { ok: true; starts_at: string; provider_id: string; duration_minutes: number }
  | { ok: false; errors: Record<string, string[]> };

/** Checks the rebook form and builds the request (start in UTC from the clinic's wall clock). */
export function buildRebook(v: RebookValues, tz: string): RebookRequest {
  const errors: Record<string, string[]> = {};
  const pd = parseDate(v.date);
  const date = pd.ok ? pd.value : "";
  if (!pd.ok) errors.date = [pd.error];
  const pt = parseTime(v.time);
  const time = pt.ok ? pt.value : null;
  if (!pt.ok) errors.time = [pt.error];
  if (!v.provider_id) errors.provider_id = ["is required"];
  const dur = v.duration_minutes.trim();
  const minutes = /^\d+$/.test(dur) ? Number(dur) : NaN;
  const durationErr = durationError(minutes);
  if (durationErr !== null) errors.duration_minutes = [durationErr];
  if (Object.keys(errors).length > 0 || !time) return { ok: false, errors };
  return { ok: true, starts_at: zonedToUtc(date, time, tz), provider_id: v.provider_id, duration_minutes: minutes };
}

/** The rebook form's starting values: the refused booking's own, in clinic time. */
export function rebookDefaults(data: unknown, tz: string): RebookValues {
  const d = (data && typeof data === "object" ? data : {}) as Record<string, unknown>;
  const starts = typeof d.starts_at === "string" && !Number.isNaN(Date.parse(d.starts_at)) ? utcToZoned(d.starts_at, tz) : null;
  return {
    date: starts?.date ?? "",
    time: starts?.time ?? "",
    provider_id: typeof d.provider_id === "string" ? d.provider_id : "",
    duration_minutes: typeof d.duration_minutes === "number" ? String(d.duration_minutes) : "15",
  };
}

/** What the confirmation of a discard says, naming what is discarded with it. */
export function discardText(what: string, held: readonly HeldEntry[]): string {
  const first = `Discard “${what}”? It will not be sent to the server.`;
  if (held.length === 0) return `${first} Nothing else waits for it.`;
  const also = held.map((x) => x.what).join("; ");
  return `${first} ${held.length === 1 ? "This change waits for it and is discarded too" : `These ${held.length} changes wait for it and are discarded too`}: ${also}.`;
}

/** A stable key for a review item (its card is kept across refreshes while it is unchanged). */
export function reviewKey(item: ReviewItem): string {
  switch (item.kind) {
    case "field_conflict":
      return `c:${item.id}`;
    case "refused":
      return `r:${item.mutation_id}`;
    case "possible_duplicate":
      return `d:${[item.a.id, item.b.id].sort().join(":")}`;
  }
}

/** What kind of refused change this is, for the actions it offers. */
export type RefusedKind = "booking" | "registration" | "other";

export function refusedKind(entity: EntityKind, op: string): RefusedKind {
  if (op === "create" && entity === "appointment") return "booking";
  if (op === "create" && entity === "patient") return "registration";
  return "other";
}

/** "3 to review: 1 conflict, 1 refused change, 1 possible duplicate". */
export function reviewSummary(items: readonly ReviewItem[]): string {
  const n = (k: ReviewItem["kind"]) => items.filter((i) => i.kind === k).length;
  const parts: string[] = [];
  const c = n("field_conflict");
  const r = n("refused");
  const d = n("possible_duplicate");
  if (c) parts.push(`${c} ${c === 1 ? "field changed on both sides" : "fields changed on both sides"}`);
  if (r) parts.push(`${r} refused ${r === 1 ? "change" : "changes"}`);
  if (d) parts.push(`${d} possible ${d === 1 ? "duplicate" : "duplicates"}`);
  return parts.join(" · ");
}
