// The appointment workflow of crates/model/src/appointment.rs, read from the generated rules
// (`RULES`, ui/src/bindings/rules.ts): which status may follow which, which bookings hold their
// time, which may be moved, and how long a booking may be. rulesConformance.test.ts checks
// these against the Rust answers for every status.

import type { AppointmentStatus } from "../bindings/AppointmentStatus";
import type { StatusRule } from "../bindings/StatusRule";
import { RULES } from "../bindings/rules";

const BY_STATUS = new Map<AppointmentStatus, StatusRule>(RULES.appointment_statuses.map((s) => [s.status, s]));

/** `AppointmentStatus::can_become`: whether the workflow allows `from` → `to`. Staying put is allowed. */
export function canBecome(from: AppointmentStatus, to: AppointmentStatus): boolean {
  return BY_STATUS.get(from)?.can_become.includes(to) ?? false;
}

/**
 * `AppointmentStatus::is_live`: the booking holds its time (and counts for the overlap rule).
 * Scheduled, checked-in and in-progress visits do; completed, cancelled and no-show ones free it.
 */
export function holdsTime(status: AppointmentStatus): boolean {
  return BY_STATUS.get(status)?.is_live ?? false;
}

/** `AppointmentStatus::can_move`: only a visit that has not started may be moved. */
export function canMove(status: AppointmentStatus): boolean {
  return BY_STATUS.get(status)?.can_move ?? false;
}

/** `validate_duration`: why `minutes` is not a bookable length (whole minutes in range), or null. */
export function durationError(minutes: number): string | null {
  const { min, max } = RULES.appointment_duration_minutes;
  return Number.isInteger(minutes) && minutes >= min && minutes <= max ? null : `must be between ${min} and ${max} minutes`;
}
