// The application: sign-in, the shell (top bar, navigation, status bar), a stack of screens,
// global shortcuts, and the two events from the core.

import { api, events, inDesktopShell, setSessionLostHandler } from "./api";
import type { CommandError } from "./bindings/CommandError";
import type { EntityKind } from "./bindings/EntityKind";
import type { SessionState } from "./bindings/SessionState";
import type { StaffMember } from "./bindings/StaffMember";
import type { UserInfo } from "./bindings/UserInfo";
import { h, replace } from "./dom";
import { ROLE_LABEL } from "./lib/format";
import { setConventions } from "./lib/locale";
import { isValidTimeZone, utcToZoned } from "./lib/tz";
import { accountScreen } from "./screens/account";
import { auditScreen } from "./screens/audit";
import { bookScreen } from "./screens/book";
import { chartScreen } from "./screens/chart";
import { clinicScreen } from "./screens/clinic";
import { hoursScreen } from "./screens/hours";
import { flowScreen } from "./screens/flow";
import { printScreen } from "./screens/print";
import { editPatientScreen, resendRegistrationScreen } from "./screens/editPatient";
import { openHelp } from "./screens/help";
import { loginForm, loginScreen } from "./screens/login";
import { patientsScreen } from "./screens/patients";
import { registerScreen } from "./screens/register";
import { reviewScreen } from "./screens/review";
import { scheduleScreen } from "./screens/schedule";
import { todayScreen } from "./screens/today";
import { usersScreen } from "./screens/users";
import { vitalsScreen } from "./screens/vitals";
import { mergeScreen } from "./screens/merge";
import { openLoginSettings, settingsScreen } from "./screens/settings";
import type { Ctx, Route, Screen } from "./ui/context";
import { IdleLock } from "./ui/lock";
import { modalOpen, openModal, toastRegion, type Modal } from "./ui/modal";
import { problemText, statusBar } from "./ui/statusbar";
import { nowMs, setClockAhead } from "./lib/clock";
import type { SyncStatus } from "./bindings/SyncStatus";

const ALL_ENTITIES: EntityKind[] = ["patient", "vital_signs", "appointment", "user", "availability", "schedule_block", "room", "visit_type"];

/** The navigation item of a screen at the bottom of the stack (others: by section). */
const NAV_OF_ROOT: Partial<Record<Route["name"], string>> = {
  schedule: "nav-schedule",
  today: "nav-today",
  flow: "nav-flow",
  review: "nav-review",
  account: "nav-account",
  users: "nav-users",
  clinic: "nav-clinic",
  hours: "nav-hours",
  audit: "nav-audit",
  settings: "nav-settings",
};

interface Entry {
  route: Route;
  screen: Screen;
  /** Focus to give back when the screen is shown again. */
  lastFocus: HTMLElement | null;
}

/** Nurses and physicians: they see patients and have a "My patients today" list. */
function isClinician(u: UserInfo): boolean {
  return u.role === "physician" || u.role === "nurse";
}

/** True when typing into this element (so "/" and "?" are text, not shortcuts). */
function isTyping(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  if (t.isContentEditable) return true;
  if (t instanceof HTMLTextAreaElement) return true;
  if (t instanceof HTMLInputElement) return !["checkbox", "radio", "button", "submit"].includes(t.type);
  return false;
}

export class App {
  private readonly page = h("div", { class: "page", id: "page" });
  private readonly status = statusBar({
    onReview: () => this.openReview(),
    onSignIn: () => void this.promptSignIn("Sign in again to send the changes waiting on this workstation; nothing was discarded."),
  });
  private readonly toasts = toastRegion();
  /** Between "sign out" and the sign-in page: reads that fail then are not a lost session. */
  private signingOut = false;
  private ctx: Ctx | null = null;
  private stack: Entry[] = [];
  private main: HTMLElement | null = null;
  private nav: Map<string, HTMLButtonElement> = new Map();
  private staffList: StaffMember[] = [];
  private todayValue = "";
  private pending = new Set<EntityKind>();
  private pendingTimer: ReturnType<typeof setTimeout> | undefined;
  private clock: ReturnType<typeof setInterval> | undefined;
  private relogin: Modal | null = null;
  /** `sync-status` events received; a polled status older than the last event is dropped. */
  private statusEvents = 0;
  private connection: SyncStatus["state"] = "signed_out";
  private lastStatus: SyncStatus | null = null;
  /** Set when the sign-in form succeeded: the first state it settles in tells whether it was offline. */
  private signedInAt = 0;
  private reviewBadge: HTMLElement | null = null;
  private endingSession = false;
  /** The server this session signed in to (see `enterShell`). */
  private sessionServer: string | null = null;
  /** The idle lock (and Ctrl+L): hides everything behind the lock screen. */
  private readonly idle = new IdleLock({
    user: () => this.ctx?.user ?? null,
    onSignedOut: (notice) => void this.afterSignOut(notice),
  });

  constructor(private readonly root: HTMLElement) {}

  async start(): Promise<void> {
    replace(this.root, this.page, this.status.el, this.toasts.el);
    document.addEventListener("keydown", (e) => this.onKey(e));
    this.idle.start();
    setSessionLostHandler((e) => this.onSessionLost(e));
    if (!inDesktopShell()) {
      this.toasts.show("This page runs inside the medoffice desktop app; the desktop core is not available here.", "error");
    }
    void events
      .onSyncStatus((s) => {
        this.statusEvents += 1;
        this.onStatus(s);
      })
      .catch(() => undefined);
    void events.onCacheChanged((c) => this.onCacheChanged(c.entities)).catch(() => undefined);
    setInterval(() => void this.pollStatus(), 30_000);
    void this.pollStatus();
    let session: SessionState | null = null;
    try {
      session = await api.sessionState();
    } catch (e) {
      this.toasts.show(`Could not read the session: ${(e as CommandError).message}`, "error");
    }
    if (session?.user) {
      await this.enterShell(session.user);
      // locked when the app last closed: it stays locked
      if (session.locked) this.idle.show();
    } else this.showLogin(session);
  }

  private async pollStatus(): Promise<void> {
    // An event newer than this poll's answer wins: the answer may have been overtaken.
    const seen = this.statusEvents;
    try {
      const s = await api.syncStatus();
      if (this.statusEvents === seen) this.onStatus(s);
    } catch {
      // The event will bring it.
    }
  }

  private onStatus(s: SyncStatus): void {
    const before = this.lastStatus;
    this.lastStatus = s;
    this.connection = s.state;
    setClockAhead(s.clock_ahead_ms, s.clock_wrong);
    this.status.update(s);
    // The server ended this session itself (deactivated, password reset): sign out, say why.
    if (s.ended_by_server && this.ctx && !this.endingSession) {
      this.endingSession = true;
      void this.signOutBecause(s.ended_by_server).finally(() => (this.endingSession = false));
    }
    if (this.reviewBadge) {
      this.reviewBadge.textContent = s.to_review > 0 ? String(s.to_review) : "";
      this.reviewBadge.hidden = s.to_review <= 0;
    }
    // This computer cannot write its local copy (a full or failing disk): say so at once, in
    // the core's words, once each time it happens; the status bar keeps saying it.
    if (s.state === "cache_failed" && before?.state !== "cache_failed")
      this.toasts.show(problemText(s), "error", 30_000);
    // The server is newer than this app: the same, once, in the core's words.
    if (s.state === "update_required" && before?.state !== "update_required")
      this.toasts.show(problemText(s), "error", 30_000);
    // A session unlocked offline (the server was away at sign-in) is said so, once.
    if (this.signedInAt && s.state !== "syncing") {
      if (s.state === "offline" && Date.now() - this.signedInAt < 15_000)
        this.toasts.show(
          "Signed in offline: the server cannot be reached. You are working from this workstation's records; what you enter is kept here and sent when the server is back.",
          "info",
          12_000,
        );
      this.signedInAt = 0;
    }
    // A catch-up began or ended: the patient list says whether records are still arriving.
    if (!!before?.catching_up !== !!s.catching_up) {
      const top = this.stack[this.stack.length - 1];
      if (top?.route.name === "patients") top.screen.refresh?.(["patient"]);
    }
    // Conflicts and refusals arrive with push answers: show them on the screens that list them.
    if (before && (before.to_review !== s.to_review || before.held !== s.held || before.rejected !== s.rejected)) {
      const top = this.stack[this.stack.length - 1];
      if (top && (top.route.name === "review" || top.route.name === "chart")) top.screen.refresh?.(ALL_ENTITIES);
    }
  }

  private openReview(): void {
    if (!this.ctx) return;
    const top = this.stack[this.stack.length - 1];
    if (top?.route.name === "review" && this.stack.length === 1) top.screen.focus();
    else this.root_({ name: "review" });
  }

  // ----- sign-in -----

  private showLogin(session: SessionState | null, notice?: string): void {
    this.teardownShell();
    document.title = "Sign in · medoffice";
    const s = loginScreen(
      session,
      (u) => {
        this.signedInAt = Date.now();
        void this.enterShell(u);
      },
      notice,
      (form) =>
        void api
          .sessionState()
          .catch(() => session)
          .then((now) => openLoginSettings(now, (m, k) => this.toasts.show(m, k), (url, code) => form.setDefaults(url, code))),
    );
    replace(this.page, s.el);
    s.focus();
  }

  private async onSessionLost(e: CommandError): Promise<void> {
    // a screen's last read while this person signs out answers "not signed in": that is the
    // sign-out itself, not a session lost
    if (this.signingOut) return;
    await this.promptSignIn(`Your session has ended${e.code === "unauthorized" ? " or was refused by the server" : ""}. Sign in again to go on; what you typed is kept.`);
  }

  /** The sign-in form in a dialog over the current screen (nothing typed underneath is lost). */
  private async promptSignIn(notice: string): Promise<void> {
    if (!this.ctx || this.relogin) return;
    let session: SessionState | null = null;
    try {
      session = await api.sessionState();
    } catch {
      session = null;
    }
    const previous = this.ctx.user;
    const prefill: SessionState = {
      user: null,
      locked: false,
      server_url: this.sessionServer ?? session?.server_url ?? null,
      tenant: previous.tenant.code,
      username: previous.username,
    };
    const f = loginForm(
      prefill,
      (u) => {
        this.relogin?.close();
        this.relogin = null;
        this.signedInAt = Date.now();
        if (u.id === previous.id && u.tenant_id === previous.tenant_id) {
          this.toasts.show("Signed in again. Your work is as you left it.", "success");
          void this.pollStatus();
        } else {
          void this.enterShell(u);
        }
      },
      { notice },
    );
    const signOut = h("button", { type: "button", class: "btn", "data-testid": "relogin-signout" }, "Sign out instead");
    signOut.addEventListener("click", () => {
      this.relogin?.close();
      this.relogin = null;
      void this.logout();
    });
    this.relogin = openModal({ title: "Sign in again", testid: "relogin-dialog", content: [f.el, h("div", { class: "form-actions" }, signOut)], escCloses: false });
    f.focus();
  }

  /** Signs out because the server ended the session; the sign-in page says why. */
  private async signOutBecause(reason: string): Promise<void> {
    this.relogin?.close();
    this.relogin = null;
    try {
      await api.logout(false, false);
    } catch {
      // the session is over on the server anyway
    }
    await this.afterSignOut(`You were signed out. ${reason.replace(/\.$/, "")}. Anything not yet sent stays on this workstation.`);
  }

  private async logout(): Promise<void> {
    this.signingOut = true;
    try {
      await api.logout(false, false);
    } catch (e) {
      this.signingOut = false;
      this.toasts.show(`Signing out failed: ${(e as CommandError).message}`, "error");
      return;
    }
    await this.afterSignOut(null);
  }

  /** The login screen after a sign-out (from the top bar, the lock screen or a wipe). */
  private async afterSignOut(notice: string | null): Promise<void> {
    this.signingOut = true;
    let session: SessionState | null = null;
    try {
      session = await api.sessionState();
    } catch {
      session = null;
    }
    this.showLogin(session, notice ?? undefined);
    this.signingOut = false;
    void this.pollStatus();
  }

  // ----- the shell -----

  private teardownShell(): void {
    this.idle.hide();
    for (const e of this.stack) e.screen.destroy?.();
    this.stack = [];
    this.ctx = null;
    this.main = null;
    this.nav.clear();
    this.reviewBadge = null;
    clearInterval(this.clock);
    this.status.setTimeZone(null);
  }

  private async enterShell(user: UserInfo): Promise<void> {
    this.teardownShell();
    setConventions(user.tenant);
    const tz = isValidTimeZone(user.tenant.time_zone) ? user.tenant.time_zone : Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.todayValue = utcToZoned(nowMs(), tz).date;
    const [today, staff, session] = await Promise.all([
      api.clinicToday().catch(() => null),
      api.staff().catch(() => [] as StaffMember[]),
      api.sessionState().catch(() => null),
    ]);
    if (today) this.todayValue = today;
    // the server of this session: Settings may change the sign-in default meanwhile, but a
    // "Sign in again" must go back to where the unsent changes belong
    this.sessionServer = session?.server_url ?? null;
    this.staffList = staff;
    this.clock = setInterval(() => {
      const d = utcToZoned(nowMs(), tz).date;
      if (d > this.todayValue) {
        this.todayValue = d;
        this.status.setToday(d);
      }
    }, 60_000);
    this.status.setTimeZone(tz);
    this.status.setToday(this.todayValue);

    const perms = new Set(user.permissions);
    const ctx: Ctx = {
      user,
      tz,
      today: () => this.todayValue,
      staff: () => this.staffList,
      staffName: (id) => this.staffList.find((s) => s.id === id)?.full_name ?? "Unknown",
      can: (p) => perms.has(p),
      open: (r) => this.open(r),
      replace: (r) => this.replaceTop(r),
      back: () => this.back(),
      toast: (m, k) => this.toasts.show(m, k),
      drafts: new Map(),
      online: () => this.connection === "online" || this.connection === "syncing",
      catchingUp: () => this.lastStatus?.catching_up ?? null,
      lastQuery: "",
      scheduleDate: null,
      scheduleProvider: null,
    };
    this.ctx = ctx;

    const navBtn = (id: string, label: string, key: string, go: () => void) => {
      const b = h("button", { type: "button", class: "nav-item", id, "data-testid": id, onclick: go }, h("span", null, label), key ? h("kbd", { "aria-hidden": "true" }, key) : null);
      this.nav.set(id, b);
      return b;
    };
    const navItems = [
      ctx.can("patient_read") ? navBtn("nav-patients", "Patients", "/", () => this.root_({ name: "patients" })) : null,
      ctx.can("appointment_read") ? navBtn("nav-schedule", "Schedule", "Alt+S", () => this.root_({ name: "schedule", date: this.todayValue })) : null,
      isClinician(user) ? navBtn("nav-today", "My patients today", "Alt+T", () => this.root_({ name: "today" })) : null,
      ctx.can("appointment_read") ? navBtn("nav-flow", "Waiting room", "Alt+W", () => this.root_({ name: "flow" })) : null,
      navBtn("nav-review", "Review", "Alt+R", () => this.openReview()),
      navBtn("nav-account", "My account", "", () => this.root_({ name: "account" })),
      navBtn("nav-settings", "Settings", "Ctrl+,", () => this.root_({ name: "settings" })),
    ];
    const adminItems = [
      ctx.can("user_manage") ? navBtn("nav-users", "Staff accounts", "", () => this.root_({ name: "users" })) : null,
      ctx.can("user_manage") ? navBtn("nav-clinic", "Clinic settings", "", () => this.root_({ name: "clinic" })) : null,
      ctx.can("schedule_manage") ? navBtn("nav-hours", "Opening hours", "", () => this.root_({ name: "hours" })) : null,
      ctx.can("audit_read") ? navBtn("nav-audit", "Audit log", "", () => this.root_({ name: "audit" })) : null,
    ].filter((b): b is HTMLButtonElement => b !== null);
    const badge = h("span", { class: "nav-count", "data-testid": "nav-review-count", "aria-label": "items to review" });
    const n = this.lastStatus?.to_review ?? 0;
    badge.textContent = n > 0 ? String(n) : "";
    badge.hidden = n <= 0;
    this.nav.get("nav-review")?.querySelector("span")?.append(" ", badge);
    this.reviewBadge = badge;
    this.main = h("main", { class: "main", id: "main", tabindex: -1 });
    const skip = h("a", { href: "#main", class: "skip-link", "data-testid": "skip-link" }, "Skip to content");
    skip.addEventListener("click", (e) => {
      e.preventDefault();
      this.stack[this.stack.length - 1]?.screen.focus();
    });
    const shell = h(
      "div",
      { class: "shell", "data-testid": "shell" },
      skip,
      h(
        "header",
        { class: "topbar" },
        h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }, "+"), "medoffice"),
        h("div", { class: "clinic", id: "topbar-clinic", "data-testid": "topbar-clinic" }, user.tenant.name),
        h("div", { class: "spacer" }),
        h("button", { type: "button", class: "btn btn-ghost", id: "btn-help", "data-testid": "btn-help", "aria-label": "Keyboard shortcuts", title: "Keyboard shortcuts (?)", onclick: () => openHelp() }, "?"),
        h(
          "div",
          { class: "user", id: "topbar-user", "data-testid": "topbar-user" },
          h("span", { class: "user-name" }, user.full_name),
          h("span", { class: "user-role", "data-testid": "topbar-role" }, ROLE_LABEL[user.role]),
        ),
        h(
          "button",
          { type: "button", class: "btn btn-ghost", id: "btn-lock", "data-testid": "btn-lock", title: "Lock the screen (Ctrl+L)", onclick: () => void this.idle.lock() },
          "Lock",
          h("kbd", { "aria-hidden": "true" }, "Ctrl+L"),
        ),
        h("button", { type: "button", class: "btn btn-ghost", id: "btn-logout", "data-testid": "btn-logout", onclick: () => void this.logout() }, "Sign out"),
      ),
      h(
        "nav",
        { class: "sidenav", "aria-label": "Main" },
        ...navItems,
        adminItems.length > 0 ? h("div", { class: "nav-group", id: "nav-admin-label" }, "Administration") : null,
        adminItems.length > 0 ? h("div", { role: "group", "aria-labelledby": "nav-admin-label", class: "nav-group-items" }, ...adminItems) : null,
        h("div", { class: "nav-foot muted small" }, "Press ? for shortcuts"),
      ),
      this.main,
    );
    replace(this.page, shell);
    void this.pollStatus();
    // nurses and physicians start with their own patients of the day
    if (isClinician(user)) this.root_({ name: "today" });
    else if (ctx.can("patient_read")) this.root_({ name: "patients" });
    else this.root_({ name: "schedule" });
  }

  private build(route: Route): Screen {
    const ctx = this.ctx;
    if (!ctx) throw new Error("not signed in");
    switch (route.name) {
      case "patients":
        return patientsScreen(ctx);
      case "register":
        return registerScreen(ctx);
      case "chart":
        return chartScreen(ctx, route.patientId);
      case "vitals":
        return vitalsScreen(ctx, route.patientId, route.amendId);
      case "merge":
        return mergeScreen(ctx, route.a, route.b);
      case "schedule":
        return scheduleScreen(ctx, route.date);
      case "book":
        return bookScreen(ctx, route);
      case "today":
        return todayScreen(ctx);
      case "flow":
        return flowScreen(ctx);
      case "print":
        return printScreen(ctx, route);
      case "edit-patient":
        return editPatientScreen(ctx, route.patientId);
      case "review":
        return reviewScreen(ctx);
      case "resend-registration":
        return resendRegistrationScreen(ctx, route.mutationId);
      case "account":
        return accountScreen(ctx);
      case "users":
        return usersScreen(ctx);
      case "clinic":
        return clinicScreen(ctx);
      case "hours":
        return hoursScreen(ctx);
      case "audit":
        return auditScreen(ctx);
      case "settings":
        return settingsScreen(ctx, () => void this.afterSignOut("This clinic's data was removed from this computer."));
    }
  }

  private show(entry: Entry, focus: "screen" | "restore"): void {
    if (!this.main) return;
    this.main.replaceChildren(entry.screen.el);
    document.title = `${entry.screen.title} · medoffice`;
    const section = entry.route.name === "schedule" || entry.route.name === "book" ? "nav-schedule" : "nav-patients";
    const first = this.stack[0]?.route.name;
    const bottom = (first && NAV_OF_ROOT[first]) || section;
    for (const [id, b] of this.nav) {
      if (id === bottom) b.setAttribute("aria-current", "page");
      else b.removeAttribute("aria-current");
    }
    this.main.scrollTop = 0;
    if (focus === "restore" && entry.lastFocus && entry.lastFocus.isConnected) entry.lastFocus.focus();
    else entry.screen.focus();
  }

  private remember(): void {
    const top = this.stack[this.stack.length - 1];
    if (top) top.lastFocus = document.activeElement instanceof HTMLElement && top.screen.el.contains(document.activeElement) ? document.activeElement : null;
  }

  /** Starts a new stack (navigation). */
  private root_(route: Route): void {
    for (const e of this.stack) e.screen.destroy?.();
    const entry = { route, screen: this.build(route), lastFocus: null };
    this.stack = [entry];
    this.show(entry, "screen");
  }

  private open(route: Route): void {
    this.remember();
    const entry = { route, screen: this.build(route), lastFocus: null };
    this.stack.push(entry);
    this.show(entry, "screen");
  }

  private replaceTop(route: Route): void {
    this.stack.pop()?.screen.destroy?.();
    const entry = { route, screen: this.build(route), lastFocus: null };
    this.stack.push(entry);
    this.show(entry, "screen");
  }

  private back(): void {
    this.stack.pop()?.screen.destroy?.();
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      this.root_({ name: this.ctx?.can("patient_read") ? "patients" : "schedule" });
      return;
    }
    top.screen.refresh?.(ALL_ENTITIES);
    this.show(top, "restore");
  }

  // ----- events -----

  private onCacheChanged(entities: EntityKind[]): void {
    for (const e of entities) this.pending.add(e);
    clearTimeout(this.pendingTimer);
    this.pendingTimer = setTimeout(() => {
      const changed = [...this.pending];
      this.pending.clear();
      if (!this.ctx) return;
      const top = this.stack[this.stack.length - 1];
      if (changed.includes("user")) {
        void api
          .staff()
          .then((s) => {
            this.staffList = s;
            top?.screen.refresh?.(changed);
          })
          .catch(() => top?.screen.refresh?.(changed));
      } else {
        top?.screen.refresh?.(changed);
      }
    }, 120);
  }

  // ----- keyboard -----

  private onKey(e: KeyboardEvent): void {
    // Ctrl+, on the sign-in page: its Settings dialog
    if (!this.ctx && e.ctrlKey && !e.altKey && e.key === "," && !modalOpen()) {
      const link = document.getElementById("login-settings");
      if (link) {
        e.preventDefault();
        link.click();
        return;
      }
    }
    const ctx = this.ctx;
    if (!ctx || modalOpen() || e.defaultPrevented || this.idle.isLocked()) return;
    const top = this.stack[this.stack.length - 1];
    const typing = isTyping(e.target);
    const plain = !e.altKey && !e.ctrlKey && !e.metaKey;
    if ((e.ctrlKey && !e.altKey && e.code === "KeyK") || (plain && e.key === "/" && !typing)) {
      e.preventDefault();
      if (!ctx.can("patient_read")) return;
      if (top?.route.name === "patients" && this.stack.length === 1) top.screen.focus();
      else this.root_({ name: "patients" });
      return;
    }
    if (e.altKey && !e.ctrlKey && e.code === "KeyN") {
      e.preventDefault();
      if (ctx.can("patient_write") && top?.route.name !== "register") this.open({ name: "register" });
      return;
    }
    if (e.altKey && !e.ctrlKey && e.code === "KeyS") {
      e.preventDefault();
      if (ctx.can("appointment_read")) this.root_({ name: "schedule", date: this.todayValue });
      return;
    }
    if (e.altKey && !e.ctrlKey && e.code === "KeyW") {
      e.preventDefault();
      if (ctx.can("appointment_read")) this.root_({ name: "flow" });
      return;
    }
    if (e.altKey && !e.ctrlKey && e.code === "KeyT") {
      e.preventDefault();
      if (isClinician(ctx.user)) this.root_({ name: "today" });
      return;
    }
    if (e.altKey && !e.ctrlKey && e.code === "KeyR") {
      e.preventDefault();
      this.openReview();
      return;
    }
    if (e.ctrlKey && !e.altKey && !e.shiftKey && e.key === ",") {
      e.preventDefault();
      this.root_({ name: "settings" });
      return;
    }
    if (plain && e.key === "?" && !typing) {
      e.preventDefault();
      openHelp();
      return;
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && top?.screen.form) {
      e.preventDefault();
      top.screen.form.save();
      return;
    }
    if (e.key === "Escape") {
      if (top?.screen.form) {
        e.preventDefault();
        top.screen.form.close();
        return;
      }
      if (this.stack.length > 1 && !typing) {
        e.preventDefault();
        this.back();
        return;
      }
    }
    if (top?.screen.onKey?.(e)) e.preventDefault();
  }
}
