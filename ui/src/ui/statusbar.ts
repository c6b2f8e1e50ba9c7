// The status bar: connection state, pending, rejected and held changes, what waits for review
// (a link to the review list), a "sign in again" action when the server no longer accepts the
// session, a long catch-up's progress (records so far, of about how many, time left), last
// sync. Always visible, announced politely when it changes. A cache this
// computer cannot write (`cache_failed`: a full or failing disk) is said as such, with the
// core's words on what to do, never as "offline"; so is a server newer than this app
// (`update_required`: the app must be updated to read what it sends). A computer clock off by
// over a minute is said too (times are corrected by the server's; IT should set it right).

import type { CatchUp } from "../bindings/CatchUp";
import type { SyncStatus } from "../bindings/SyncStatus";
import { h, replace } from "../dom";
import { clockDistance, clockWarning } from "../lib/clock";
import { utcToZoned } from "../lib/tz";
import { formatDateTime, formatTime } from "../lib/locale";

export interface StatusBar {
  el: HTMLElement;
  update(s: SyncStatus | null): void;
  setTimeZone(tz: string | null): void;
  setToday(date: string | null): void;
}

/** "14:05" today, "2024-03-04 14:05" on another day (each the clinic's way), in the clinic's zone when known. */
export function formatWhen(instant: string, tz: string | null, today: string | null): string {
  const zone = tz ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const w = utcToZoned(instant, zone);
  return today && w.date !== today ? formatDateTime(instant, zone) : formatTime(instant, zone);
}

export interface StatusBarActions {
  /** Opens the review list. */
  onReview(): void;
  /** Asks the person to sign in again (the queue is sent once they have). */
  onSignIn(): void;
}

/** The connection word: "Online", "Offline since 14:05", "Cannot save on this computer"… */
export function connectionLabel(s: SyncStatus, tz: string | null, today: string | null): string {
  switch (s.state) {
    case "online":
      return "Online";
    case "syncing":
      return "Syncing…";
    case "offline":
      return s.offline_since ? `Offline since ${formatWhen(s.offline_since, tz, today)}` : "Offline";
    case "cache_failed":
      return "Cannot save on this computer";
    case "update_required":
      return "Update needed";
    case "signed_out":
      return "Signed out";
  }
}

/**
 * The problem shown after the counts: the last connection problem while offline (unless the
 * sign-in action says it), and while the cache cannot be written the core's sentence on what
 * happened and what to do.
 */
export function problemText(s: SyncStatus): string {
  if (s.state === "cache_failed") return s.last_error ?? "This computer cannot write its local copy of the clinic's records. Free disk space or ask IT, then restart medoffice.";
  if (s.state === "update_required")
    return s.last_error ?? "Ask IT to update this workstation's app: the server is newer and sends records this version cannot read. What you enter is kept here and sent after the update.";
  return s.state === "offline" && s.last_error && !s.sign_in_required ? s.last_error : "";
}

/**
 * A long catch-up with the server, as a person reads it: "Receiving the clinic's records:
 * 412,000 of about 1,300,000, about 2 min left". Empty when none is under way. Short, so it
 * fits the status bar; the patient list says what it means for a search.
 */
export function catchUpText(s: SyncStatus): string {
  const c = s.catching_up;
  if (!c) return "";
  const { received, about, left } = catchUpCounts(c);
  return `Receiving the clinic's records: ${received} of about ${about}${left ? `, ${left}` : ""}`;
}

/** A catch-up's figures as read aloud: "14,000" of about "400,000" (past ten thousand, "about"
 * reads to the thousand), and "about 2 min left" / "less than a minute left" ("" before the
 * core has an estimate). */
export function catchUpCounts(c: CatchUp): { received: string; about: string; left: string } {
  const n = (x: number) => x.toLocaleString("en-US");
  const s = c.seconds_left;
  const left = s === null ? "" : s < 60 ? "less than a minute left" : `about ${Math.round(s / 60)} min left`;
  return { received: n(c.received), about: n(c.about >= 10000 ? Math.round(c.about / 1000) * 1000 : c.about), left };
}

/** "Sign in again to send 3 changes". */
export function signInText(pending: number): string {
  return pending > 0 ? `Sign in again to send ${pending} ${pending === 1 ? "change" : "changes"}` : "Sign in again";
}

export function statusBar(actions: StatusBarActions): StatusBar {
  const conn = h("span", { class: "sb-item sb-conn", id: "status-connection", "data-testid": "status-connection" });
  const pending = h("span", { class: "sb-item", id: "status-pending", "data-testid": "status-pending" });
  const rejected = h("span", { class: "sb-item", id: "status-rejected", "data-testid": "status-rejected" });
  const held = h("span", { class: "sb-item sb-warn", id: "status-held", "data-testid": "status-held", title: "Changes waiting for a refused change to be corrected (see Review)" });
  const reviewBtn = h("button", { type: "button", class: "sb-link", id: "status-review", "data-testid": "status-review", onclick: () => actions.onReview() });
  const review = h("span", { class: "sb-item" }, reviewBtn);
  const signInBtn = h("button", { type: "button", class: "sb-action", id: "status-signin", "data-testid": "status-signin", onclick: () => actions.onSignIn() });
  const signIn = h("span", { class: "sb-item" }, signInBtn);
  const last = h("span", { class: "sb-item", id: "status-last-sync", "data-testid": "status-last-sync" });
  const catchUp = h("span", { class: "sb-item sb-progress", id: "status-catch-up", "data-testid": "status-catch-up" });
  const problem = h("span", { class: "sb-item sb-problem", id: "status-problem", "data-testid": "status-problem" });
  const clock = h("span", { class: "sb-item sb-warn", id: "status-clock", "data-testid": "status-clock" });
  // the whole sentence for a screen reader (a span's aria-label is not read)
  const clockWords = h("span", { class: "sr-only" });
  const el = h(
    "footer",
    { class: "statusbar", id: "status-bar", "data-testid": "status-bar", role: "status", "aria-live": "polite", "aria-label": "Sync status" },
    conn,
    signIn,
    pending,
    rejected,
    held,
    review,
    catchUp,
    last,
    clock,
    clockWords,
    problem,
  );
  let tz: string | null = null;
  let today: string | null = null;
  let current: SyncStatus | null = null;
  const render = () => {
    const s = current;
    if (!s) {
      el.dataset.state = "unknown";
      replace(conn, h("span", { class: "dot", "aria-hidden": "true" }), "Status unknown");
      pending.textContent = "";
      rejected.textContent = "";
      held.textContent = "";
      review.hidden = true;
      signIn.hidden = true;
      last.textContent = "";
      catchUp.textContent = "";
      clock.hidden = true;
      clockWords.textContent = "";
      problem.textContent = "";
      return;
    }
    el.dataset.state = s.state;
    replace(conn, h("span", { class: "dot", "aria-hidden": "true" }), connectionLabel(s, tz, today));
    pending.textContent = `${s.pending} pending ${s.pending === 1 ? "change" : "changes"}`;
    pending.dataset.count = String(s.pending);
    pending.classList.toggle("sb-warn", s.pending > 0);
    // "refused", as Review says it
    rejected.textContent = `${s.rejected} refused`;
    rejected.dataset.count = String(s.rejected);
    rejected.classList.toggle("sb-bad", s.rejected > 0);
    held.textContent = s.held > 0 ? `${s.held} held` : "";
    held.dataset.count = String(s.held);
    review.hidden = s.to_review <= 0;
    reviewBtn.textContent = `${s.to_review} to review`;
    reviewBtn.dataset.count = String(s.to_review);
    reviewBtn.title = [
      s.conflicts > 0 ? `${s.conflicts} changed on both sides` : "",
      s.rejected > 0 ? `${s.rejected} refused` : "",
      s.possible_duplicates > 0 ? `${s.possible_duplicates} possible duplicates` : "",
    ]
      .filter(Boolean)
      .join(", ");
    signIn.hidden = !s.sign_in_required;
    signInBtn.textContent = signInText(s.pending);
    catchUp.textContent = catchUpText(s);
    catchUp.hidden = !s.catching_up;
    // during a catch-up the progress says it all ("Not synced yet" beside it read as a failure)
    last.textContent = s.catching_up ? "" : s.last_synced_at ? `Last sync ${formatWhen(s.last_synced_at, tz, today)}` : "Not synced yet";
    const clockText = clockWarning(s.clock_ahead_ms, s.clock_wrong);
    // short in the bar; the whole sentence on hover and for a screen reader
    clock.textContent = clockText ? `Clock ${clockDistance(s.clock_ahead_ms)} ${s.clock_ahead_ms > 0 ? "fast" : "slow"}: ask IT` : "";
    clock.title = clockText;
    clock.setAttribute("aria-hidden", clockText ? "true" : "false");
    clockWords.textContent = clockText;
    clock.hidden = !clockText;
    problem.textContent = problemText(s);
    problem.title = s.last_error ?? "";
  };
  render();
  return {
    el,
    update(s) {
      current = s;
      render();
    },
    setTimeZone(z) {
      tz = z;
      render();
    },
    setToday(d) {
      today = d;
      render();
    },
  };
}
