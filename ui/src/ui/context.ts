// What screens get from the app: who is signed in, the clinic's day and zone, staff names,
// navigation, and small services (toasts, drafts).

import type { CatchUp } from "../bindings/CatchUp";
import type { EntityKind } from "../bindings/EntityKind";
import type { Permission } from "../bindings/Permission";
import type { StaffMember } from "../bindings/StaffMember";
import type { UserInfo } from "../bindings/UserInfo";

export type Route =
  | { name: "patients" }
  | { name: "register" }
  | { name: "chart"; patientId: string }
  | { name: "vitals"; patientId: string; amendId?: string }
  | { name: "schedule"; date?: string }
  | { name: "book"; patientId?: string; date?: string; providerId?: string | null; time?: string; duration?: number }
  | { name: "today" }
  | { name: "flow" }
  | { name: "print"; layout: "day-list" | "card" | "summary"; date?: string; providerId?: string; patientId?: string }
  | { name: "edit-patient"; patientId: string }
  | { name: "merge"; a: string; b: string }
  | { name: "review" }
  | { name: "resend-registration"; mutationId: string }
  | { name: "account" }
  | { name: "users" }
  | { name: "clinic" }
  | { name: "hours" }
  | { name: "audit" }
  | { name: "settings" };

export interface Screen {
  el: HTMLElement;
  /** Shown in the window title. */
  title: string;
  /** Puts the focus where work starts. */
  focus(): void;
  /** Re-queries after `cache-changed` (forms do not, so typing is never lost). */
  refresh?(entities: EntityKind[]): void;
  /** A form: Esc closes it, Ctrl+Enter saves it. */
  form?: { save(): void; close(): void };
  /** Screen-specific keys (Alt+V in a chart); true when handled. */
  onKey?(e: KeyboardEvent): boolean;
  destroy?(): void;
}

export interface Ctx {
  user: UserInfo;
  /** The clinic's IANA time zone. */
  tz: string;
  /** Today in the clinic's time zone (`YYYY-MM-DD`), kept current. */
  today(): string;
  staff(): StaffMember[];
  staffName(id: string): string;
  can(p: Permission): boolean;
  /** Opens a screen on top of the current one (Esc / close goes back). */
  open(route: Route): void;
  /** Replaces the current screen (e.g. a saved registration becomes the chart). */
  replace(route: Route): void;
  /** Goes back to the screen below. */
  back(): void;
  toast(message: string, kind?: "info" | "success" | "warn" | "error"): void;
  /** True while the workstation is connected to the server (saves go out at once). */
  online(): boolean;
  /** Unsaved form entries, kept in memory until saved, discarded or sign-out. */
  drafts: Map<string, unknown>;
  /** A long catch-up with the server under way (a first sync): how far it has come. */
  catchingUp?(): CatchUp | null;
  /** Last patient search typed, kept across screens. */
  lastQuery: string;
  /** Last schedule date and provider chosen. */
  scheduleDate: string | null;
  scheduleProvider: string | null;
}
