// The desktop commands and events, typed with the generated bindings. Every screen goes
// through here; nothing else calls `invoke` or `listen`.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { SearchTerm } from "./bindings/SearchTerm";
import type { AppointmentRow } from "./bindings/AppointmentRow";
import type { AuditExport } from "./bindings/AuditExport";
import type { AuditFilter } from "./bindings/AuditFilter";
import type { AuditPage } from "./bindings/AuditPage";
import type { CreatedUser } from "./bindings/CreatedUser";
import type { NewUser } from "./bindings/NewUser";
import type { TemporaryPassword } from "./bindings/TemporaryPassword";
import type { TenantInfo } from "./bindings/TenantInfo";
import type { TenantPatch } from "./bindings/TenantPatch";
import type { TotpEnabled } from "./bindings/TotpEnabled";
import type { TotpSetupView } from "./bindings/TotpSetupView";
import type { UserPatch } from "./bindings/UserPatch";
import type { AppointmentStatus } from "./bindings/AppointmentStatus";
import type { CacheChanged } from "./bindings/CacheChanged";
import type { CommandError } from "./bindings/CommandError";
import type { ConflictChoice } from "./bindings/ConflictChoice";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { Local } from "./bindings/Local";
import type { NewAppointment } from "./bindings/NewAppointment";
import type { NewPatient } from "./bindings/NewPatient";
import type { NewVitalSigns } from "./bindings/NewVitalSigns";
import type { Patient } from "./bindings/Patient";
import type { PatientChart } from "./bindings/PatientChart";
import type { EscalationAck } from "./bindings/EscalationAck";
import type { PossibleDuplicate } from "./bindings/PossibleDuplicate";
import type { ReviewList } from "./bindings/ReviewList";
import type { SessionState } from "./bindings/SessionState";
import type { StaffMember } from "./bindings/StaffMember";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { UserInfo } from "./bindings/UserInfo";
import type { VitalSigns } from "./bindings/VitalSigns";
import type { VitalSignsCorrection } from "./bindings/VitalSignsCorrection";
import type { PatientMerge } from "./bindings/PatientMerge";
import type { Availability } from "./bindings/Availability";
import type { AvailabilityUpdate } from "./bindings/AvailabilityUpdate";
import type { AvailabilityView } from "./bindings/AvailabilityView";
import type { NewScheduleBlock } from "./bindings/NewScheduleBlock";
import type { ScheduleBlock } from "./bindings/ScheduleBlock";
import type { FlowBoard } from "./bindings/FlowBoard";
import type { Recurrence } from "./bindings/Recurrence";
import type { SeriesPlan } from "./bindings/SeriesPlan";
import type { Room } from "./bindings/Room";
import type { NewVisitType } from "./bindings/NewVisitType";
import type { VisitType } from "./bindings/VisitType";
import type { VisitTypePatch } from "./bindings/VisitTypePatch";
import type { RoomPatch } from "./bindings/RoomPatch";
import { RULES } from "./bindings/rules";

/** Every code a command may answer with (`ErrorCode::ALL` of crates/model). */
const CODES: readonly ErrorCode[] = RULES.error_codes;

/** Commands of the sign-in itself: a refusal there is an answer to show, not a lost session. */
const SIGN_IN_COMMANDS = new Set(["login", "change_password", "totp_setup", "totp_confirm", "cancel_sign_in"]);

/** Turns whatever a command rejected with into a `CommandError` (Tauri itself rejects with strings). */
export function toCommandError(e: unknown): CommandError {
  if (e && typeof e === "object" && "code" in e && CODES.includes((e as { code: ErrorCode }).code)) {
    const c = e as Partial<CommandError> & { code: ErrorCode };
    return {
      code: c.code,
      message: typeof c.message === "string" ? c.message : "Something went wrong.",
      fields: c.fields ?? null,
      conflicting_appointment_id: c.conflicting_appointment_id ?? null,
    };
  }
  const message = typeof e === "string" ? e : e instanceof Error ? e.message : "Something went wrong.";
  return { code: "internal", message, fields: null, conflicting_appointment_id: null };
}

/** True for a `CommandError`-shaped value. */
export function isCommandError(e: unknown): e is CommandError {
  return !!e && typeof e === "object" && "code" in e && "message" in e;
}

type SessionLostHandler = (e: CommandError) => void;
let onSessionLost: SessionLostHandler | null = null;

/** Called when a command answers `not_signed_in` or `unauthorized` (outside `login`). */
export function setSessionLostHandler(h: SessionLostHandler | null): void {
  onSessionLost = h;
}

/** True when the page runs inside the desktop shell (and not in a plain browser). */
export function inDesktopShell(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (raw) {
    const e = toCommandError(raw);
    // sign-in (and its steps), the lock screen and sign-out answer these themselves
    if (!SIGN_IN_COMMANDS.has(cmd) && !["unlock", "logout"].includes(cmd) && (e.code === "not_signed_in" || e.code === "unauthorized")) onSessionLost?.(e);
    throw e;
  }
}

export const api = {
  sessionState: () => call<SessionState>("session_state"),
  /** `totp_code`: the authenticator code or a recovery code, when the server asked for it (`totp_required`). */
  login: (server_url: string, tenant: string, username: string, password: string, totp_code: string | null = null) =>
    call<UserInfo>("login", { server_url, tenant, username, password, totp_code }),
  /** Abandons a sign-in that waits for a password change or a two-factor enrolment. */
  cancelSignIn: () => call<null>("cancel_sign_in"),
  /** Who a waiting sign-in is for. */
  pendingSignIn: () => call<UserInfo | null>("pending_sign_in"),
  /** Of a waiting sign-in (then it goes on) or of the signed-in person. */
  changePassword: (current_password: string, new_password: string) =>
    call<UserInfo>("change_password", { current_password, new_password }),
  totpSetup: () => call<TotpSetupView>("totp_setup"),
  totpConfirm: (code: string) => call<TotpEnabled>("totp_confirm", { code }),
  totpDisable: (password: string) => call<UserInfo>("totp_disable", { password }),
  myAccount: () => call<UserInfo>("my_account"),
  listUsers: () => call<UserInfo[]>("list_users"),
  createUser: (user: NewUser) => call<CreatedUser>("create_user", { user }),
  updateUser: (user_id: string, patch: UserPatch) => call<UserInfo>("update_user", { user_id, patch }),
  resetUserPassword: (user_id: string) => call<TemporaryPassword>("reset_user_password", { user_id }),
  resetUserTotp: (user_id: string) => call<UserInfo>("reset_user_totp", { user_id }),
  clinicSettings: () => call<TenantInfo>("clinic_settings"),
  updateClinicSettings: (patch: TenantPatch) => call<TenantInfo>("update_clinic_settings", { patch }),
  auditLog: (filter: AuditFilter) => call<AuditPage>("audit_log", { filter }),
  /** The system's save dialog for an audit export; null when closed without choosing. */
  chooseExportPath: () => call<string | null>("choose_export_path"),
  /** `path`: where to save (null: the Downloads folder). */
  exportAudit: (filter: AuditFilter, path: string | null) => call<AuditExport>("export_audit", { filter, path }),
  /**
   * Signs out. `wipe`: also removes this clinic's data from this computer (cache, its key,
   * offline sign-ins); refused (`conflict`) while changes wait to be sent, unless `force`.
   */
  logout: (wipe: boolean, force: boolean) => call<null>("logout", { wipe, force }),
  /** Changes not yet accepted by the server (what a wipe would lose). */
  unsentChanges: () => call<number>("unsent_changes"),
  /** Remembers the sign-in form's server address and clinic code (checked: `validation` with `fields`). */
  saveSignInDefaults: (server_url: string, tenant: string) => call<SessionState>("save_sign_in_defaults", { server_url, tenant }),
  /** Locks the screen (remembered by the core until `unlock`). */
  lock: () => call<null>("lock"),
  /** Unlocks with the signed-in person's password (checked on this computer). */
  unlock: (password: string) => call<null>("unlock", { password }),
  syncStatus: () => call<SyncStatus>("sync_status"),
  searchPatients: (query: string, limit: number) => call<Local<Patient>[]>("search_patients", { query, limit }),
  /** What the search box understood (parsed by the core with the same rules as the search). */
  interpretSearch: (query: string) => call<SearchTerm[]>("interpret_search", { query }),
  /** Patients on this workstation born on `date_of_birth` (YYYY-MM-DD) with the same or a similar name, strongest match first. */
  possibleDuplicates: (given_name: string, family_name: string, date_of_birth: string) =>
    call<PossibleDuplicate[]>("possible_duplicates", { given_name, family_name, date_of_birth }),
  patientChart: (patient_id: string) => call<PatientChart>("patient_chart", { patient_id }),
  registerPatient: (patient: NewPatient) => call<Local<Patient>>("register_patient", { patient }),
  recordVitals: (patient_id: string, vitals: NewVitalSigns) =>
    call<Local<VitalSigns>>("record_vitals", { patient_id, vitals }),
  /**
   * Marks a set entered in error, or amends its values, with a reason (the recorder or a
   * clinician; queued offline like any write). Answers the set as it now shows.
   */
  /**
   * Merges `patient_id` (a duplicate) into `merge.into`, which stays, with the values chosen
   * for it; every set and booking moves there when the server takes it (queued offline).
   */
  mergePatient: (patient_id: string, merge: PatientMerge) => call<Local<Patient>>("merge_patient", { patient_id, merge }),
  correctVitals: (vital_signs_id: string, correction: VitalSignsCorrection) =>
    call<Local<VitalSigns>>("correct_vitals", { vital_signs_id, correction }),
  /** The signed-in person acknowledges the escalation a set's NEWS2 calls for (audited). */
  acknowledgeEscalation: (patient_id: string, vital_signs_id: string) =>
    call<EscalationAck>("acknowledge_escalation", { patient_id, vital_signs_id }),
  dayAppointments: (date: string, provider_id: string | null) =>
    call<AppointmentRow[]>("day_appointments", { date, provider_id }),
  /** Bookings of the clinic-local days `from` … `to_inclusive` (`YYYY-MM-DD`), optionally of one provider. */
  appointmentsBetweenDates: (from: string, to_inclusive: string, provider_id: string | null) =>
    call<AppointmentRow[]>("appointments_between_dates", { from, to_inclusive, provider_id }),
  /**
   * Reschedules a booking; `conflict` names the clashing booking (`conflicting_appointment_id`);
   * `outside_availability` says why the time is not bookable, unless `outside_hours_reason`
   * overrides it (a role with `appointment_outside_hours`).
   */
  moveAppointment: (appointment_id: string, starts_at: string, duration_minutes: number, provider_id: string, outside_hours_reason: string | null = null) =>
    call<AppointmentRow>("move_appointment", { appointment_id, starts_at, duration_minutes, provider_id, outside_hours_reason }),
  /** Opening hours, working hours, blocks and bookable time of the clinic-local days `from` … `to_inclusive` (offline too). */
  availability: (from: string, to_inclusive: string) => call<AvailabilityView>("availability", { from, to_inclusive }),
  /** Sets the clinic's opening hours (`provider_id` null) or a provider's working hours (admin, online). */
  setHours: (provider_id: string | null, update: AvailabilityUpdate) => call<Availability>("set_hours", { provider_id, update }),
  /** Clears the clinic's opening hours (`provider_id` null) or a provider's own hours (admin, online). */
  clearHours: (provider_id: string | null) => call<null>("clear_hours", { provider_id }),
  /** Blocks time: a closed date (no `provider_id`) or a provider's leave or meeting (admin, online). */
  addScheduleBlock: (block: NewScheduleBlock) => call<ScheduleBlock>("add_schedule_block", { block }),
  /** Removes a block; its time is bookable again (admin, online). */
  removeScheduleBlock: (block_id: string) => call<null>("remove_schedule_block", { block_id }),
  /** Every block that has not ended yet, however far ahead, from the cache. */
  upcomingBlocks: () => call<ScheduleBlock[]>("upcoming_blocks"),
  /** Today's flow board (offline too): every provider's visits with where each stands, and the rooms. */
  flowBoard: () => call<FlowBoard>("flow_board"),
  /** The clinic's visit types, retired ones too, by name (from the cache). */
  visitTypes: () => call<VisitType[]>("visit_types"),
  /** Adds a visit type (admin, online); a name or code in use is refused on that field. */
  addVisitType: (visit_type: NewVisitType) => call<VisitType>("add_visit_type", { visit_type }),
  /** Renames, re-times, re-colours or retires a visit type (admin, online). */
  updateVisitType: (visit_type_id: string, patch: VisitTypePatch) => call<VisitType>("update_visit_type", { visit_type_id, patch }),
  /** The clinic's rooms, out-of-use ones too, by name (from the cache). */
  rooms: () => call<Room[]>("rooms"),
  /** Shows a checked-in patient to a room, or back to the waiting room (`room_id` null). */
  setAppointmentRoom: (appointment_id: string, room_id: string | null) => call<AppointmentRow>("set_appointment_room", { appointment_id, room_id }),
  /** Adds a room (admin, online); a name in use is refused on `name`. */
  addRoom: (name: string) => call<Room>("add_room", { name }),
  /** Renames a room or takes it out of (or back into) use (admin, online). */
  updateRoom: (room_id: string, patch: RoomPatch) => call<Room>("update_room", { room_id, patch }),
  bookAppointment: (appointment: NewAppointment) => call<AppointmentRow>("book_appointment", { appointment }),
  /** The occurrences of a recurring visit, each checked (clash, hours) with a free time that day for those that cannot be booked. Books nothing. */
  planSeries: (appointment: NewAppointment, recurrence: Recurrence) => call<SeriesPlan>("plan_series", { appointment, recurrence }),
  /** Books one visit per start (RFC 3339), all linked to one series; nothing when any cannot be booked. */
  bookSeries: (appointment: NewAppointment, starts: string[]) => call<AppointmentRow[]>("book_series", { appointment, starts }),
  /** Cancels this occurrence and every later one of its series; how many. */
  cancelSeriesFrom: (appointment_id: string, note: string) => call<number>("cancel_series_from", { appointment_id, note }),
  /** Moves this occurrence and every later one to `time` (HH:MM) with the provider and length; how many. */
  moveSeriesFrom: (appointment_id: string, time: string, duration_minutes: number, provider_id: string) =>
    call<number>("move_series_from", { appointment_id, time, duration_minutes, provider_id }),
  setAppointmentStatus: (appointment_id: string, status: AppointmentStatus, note: string | null) =>
    call<AppointmentRow>("set_appointment_status", { appointment_id, status, note }),
  staff: () => call<StaffMember[]>("staff"),
  clinicToday: () => call<string>("clinic_today"),
  unlockOffline: (tenant: string, username: string, password: string) =>
    call<UserInfo>("unlock_offline", { tenant, username, password }),
  /** `changes`: only the changed fields, by wire name. */
  editPatient: (patient_id: string, changes: Record<string, unknown>) =>
    call<Local<Patient>>("edit_patient", { patient_id, changes }),
  reviewList: () => call<ReviewList>("review_list"),
  resolveConflict: (conflict_id: string, choice: ConflictChoice) => call<null>("resolve_conflict", { conflict_id, choice }),
  /** Sends a refused change again, with `data` corrected (or as it was when null); the new mutation id. */
  resend: (mutation_id: string, data: unknown) => call<string>("resend", { mutation_id, data }),
  rebook: (mutation_id: string, starts_at: string, provider_id: string, duration_minutes: number) =>
    call<string>("rebook", { mutation_id, starts_at, provider_id, duration_minutes }),
  /** Discards a refused change and what waits for it; how many queued changes went. */
  discard: (mutation_id: string) => call<number>("discard", { mutation_id }),
  dismissDuplicate: (a: string, b: string) => call<null>("dismiss_duplicate", { a, b }),
};

export const events = {
  onSyncStatus: (h: (s: SyncStatus) => void): Promise<UnlistenFn> =>
    listen<SyncStatus>("sync-status", (e) => h(e.payload)),
  onCacheChanged: (h: (c: CacheChanged) => void): Promise<UnlistenFn> =>
    listen<CacheChanged>("cache-changed", (e) => h(e.payload)),
};

/** A fresh id for a record made here (sent as `id`, so a retried save is not a duplicate). */
export function newId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
