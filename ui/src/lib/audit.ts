// The audit log in words: action and outcome labels, and the filter form turned into the
// query the server takes (instants in UTC, typed in clinic time).

import { parseIsoDate, zonedToUtc } from "./tz";
import { parseDate, parseTime } from "./locale";

/** What an entry's action means, in a person's words. Unknown actions fall back to `actionLabel`. */
export const ACTION_LABEL: Readonly<Record<string, string>> = {
  "auth.login": "Signed in",
  "auth.login_failed": "Failed sign-in",
  "auth.second_factor": "Second factor accepted at sign-in",
  "auth.refresh": "Session renewed",
  "auth.refresh_reuse": "Stolen or replayed session token refused",
  "auth.logout": "Signed out",
  "patient.read": "Read patient record",
  "patient.search": "Searched patients",
  "patient.chart_open": "Opened patient chart",
  "patient.create": "Registered patient",
  "patient.update": "Changed patient details",
  "patient.delete": "Deleted patient record",
  "patient.merge": "Merged duplicate records",
  "vital_signs.read": "Read vital signs",
  "vital_signs.create": "Recorded vital signs",
  "vital_signs.entered_in_error": "Marked vital signs entered in error",
  "vital_signs.amend": "Amended vital signs",
  "vital_signs.escalation_acknowledged": "Acknowledged a NEWS2 escalation",
  "appointment.read": "Read appointments",
  "appointment.create": "Booked appointment",
  "appointment.overbook": "Booked overlapping appointment",
  "appointment.update": "Changed appointment",
  "user.create": "Created staff account",
  "user.update": "Changed staff account",
  "user.role_change": "Changed role",
  "user.deactivate": "Deactivated account",
  "user.reactivate": "Reactivated account",
  "user.password_change": "Changed password",
  "user.password_reset": "Reset password",
  "user.totp_setup": "Started two-factor setup",
  "user.totp_enable": "Turned on two-factor sign-in",
  "user.totp_disable": "Turned off two-factor sign-in",
  "user.totp_reset": "Reset two-factor sign-in",
  "tenant.register": "Registered clinic",
  "tenant.update": "Changed clinic settings",
  "tenant.require_admin_totp": "Changed two-factor rule for administrators",
  "sync.full_download": "Downloaded the whole clinic to a workstation",
  "import.synthea": "Imported records (Synthea)",
  "import.legacy": "Imported records (legacy system)",
  "audit.read": "Read the audit log",
  "audit.export": "Exported the audit log",
};

/** Outcomes in words. */
export const OUTCOME_LABEL: Readonly<Record<string, string>> = {
  success: "Success",
  denied: "Denied (role may not)",
  not_found: "Not found",
  rejected: "Rejected (invalid values)",
  conflict: "Conflict",
  merged_with_conflicts: "Merged with conflicts",
  unknown_user: "Unknown username",
  bad_password: "Wrong password",
  bad_totp: "Wrong two-factor code",
  totp_missing: "Two-factor code needed",
  locked: "Account locked",
  inactive: "Account deactivated",
  family_revoked: "All sessions of that sign-in ended",
  totp: "Authenticator code",
  recovery_code: "Recovery code",
  on: "Turned on",
  off: "Turned off",
};

/** Choices of the action filter: families first, then single actions by label. */
export function actionChoices(): Array<[string, string]> {
  const families: Array<[string, string]> = [
    ["auth.*", "Sign-in and sessions (all)"],
    ["patient.*", "Patient records (all)"],
    ["vital_signs.*", "Vital signs (all)"],
    ["appointment.*", "Appointments (all)"],
    ["user.*", "Staff accounts (all)"],
    ["tenant.*", "Clinic settings (all)"],
    ["audit.*", "Audit log (all)"],
  ];
  const single = Object.entries(ACTION_LABEL).sort((a, b) => a[1].localeCompare(b[1]));
  return [["", "Any action"], ...families, ...single];
}

/** Choices of the outcome filter. */
export function outcomeChoices(): Array<[string, string]> {
  const common = ["success", "denied", "not_found", "rejected", "conflict", "bad_password", "bad_totp", "unknown_user", "locked", "inactive"];
  return [["", "Any outcome"], ...common.map((o): [string, string] => [o, OUTCOME_LABEL[o] ?? o])];
}

function humanize(word: string): string {
  const s = word.replace(/_/g, " ").trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** An action in words: the table's label, or "Patient: archive" for one it does not know. */
export function actionLabel(action: string): string {
  const known = ACTION_LABEL[action];
  if (known) return known;
  const [entity, ...verb] = action.split(".");
  if (!entity || verb.length === 0) return humanize(action);
  return `${humanize(entity)}: ${verb.map((v) => v.replace(/_/g, " ")).join(" ")}`;
}

/** An outcome in words. */
export function outcomeLabel(outcome: string): string {
  return OUTCOME_LABEL[outcome] ?? humanize(outcome);
}

/** The audit filter form as typed. Dates `YYYY-MM-DD` (may be empty), times as typed. */
export interface AuditFilterForm {
  patientId: string | null;
  userId: string;
  fromDate: string;
  fromTime: string;
  toDate: string;
  toTime: string;
  action: string;
  outcome: string;
}

/** The query the server takes (`GET /api/v1/audit`); absent keys are not filtered on. */
export interface AuditQuery {
  patient_id?: string;
  user_id?: string;
  from?: string;
  to?: string;
  action?: string;
  outcome?: string;
  limit?: number;
  before?: number;
}

export type BuiltFilter = { ok: true; query: AuditQuery } | { ok: false; errors: Record<string, string[]> };

function addMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString().replace(".000Z", "Z");
}

/**
 * The form turned into a query. Dates and times are the clinic's wall clock (`tz`): "from"
 * starts at its time (00:00 when none is typed); "to" includes its whole day when no time is
 * typed, and its whole minute when one is. Errors are keyed like the server's (`from`, `to`)
 * or by the time field they concern (`from_time`, `to_time`).
 */
export function buildAuditFilter(form: AuditFilterForm, tz: string): BuiltFilter {
  const errors: Record<string, string[]> = {};
  const add = (field: string, message: string) => (errors[field] ??= []).push(message);
  const query: AuditQuery = {};
  if (form.patientId) query.patient_id = form.patientId;
  if (form.userId.trim()) query.user_id = form.userId.trim();
  if (form.action.trim()) query.action = form.action.trim();
  if (form.outcome.trim()) query.outcome = form.outcome.trim();

  const instant = (side: "from" | "to", date: string, time: string): string | undefined => {
    const d = date.trim();
    const t = time.trim();
    if (!d) {
      if (t) add(`${side}_time`, "needs a date too");
      return undefined;
    }
    const pd = parseDate(d);
    if (!pd.ok) {
      add(side, pd.error);
      return undefined;
    }
    let hhmm = "00:00";
    if (t) {
      const parsed = parseTime(t);
      if (!parsed.ok) {
        add(`${side}_time`, parsed.error);
        return undefined;
      }
      hhmm = parsed.value;
    }
    const at = zonedToUtc(pd.value, hhmm, tz);
    if (side === "from") return at;
    // "to" is exclusive on the server: include the typed minute, or the whole day
    return t ? addMinutes(at, 1) : zonedToUtc(nextDay(pd.value), "00:00", tz);
  };
  const from = instant("from", form.fromDate, form.fromTime);
  const to = instant("to", form.toDate, form.toTime);
  if (from) query.from = from;
  if (to) query.to = to;
  if (from && to && Date.parse(to) <= Date.parse(from)) add("to", "must be after the start");
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, query };
}

function nextDay(date: string): string {
  const d = parseIsoDate(date);
  if (!d) return date;
  return new Date(Date.UTC(d.year, d.month - 1, d.day + 1)).toISOString().slice(0, 10);
}

/** A file name for an export made now: `audit-log-2024-07-15-1030.csv` (clinic time). */
export function exportFileName(wallDate: string, wallTime: string): string {
  return `audit-log-${wallDate}-${wallTime.replace(":", "")}.csv`;
}
