// The idle lock: after some minutes without keyboard or mouse input (a workstation setting, see
// lib/idle.ts), or at once with Ctrl+L, every patient detail goes behind a lock screen naming
// the signed-in person. Their password unlocks it, checked by the core on this computer (so it
// works offline); "Sign in as someone else" signs out. Nothing underneath is destroyed: screens,
// half-typed forms and the sync go on, hidden (display: none, so neither seen nor read out nor
// focusable). The core remembers the lock, so restarting the app does not get round it.

import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import type { UserInfo } from "../bindings/UserInfo";
import { h } from "../dom";
import { loadIdleMinutes } from "../lib/idle";
import { banner, field, setBanner, showFieldErrors } from "./forms";

const ACTIVITY = ["keydown", "mousedown", "mousemove", "wheel", "touchstart", "pointerdown"] as const;

export interface IdleLockOptions {
  /** The signed-in person, or null (nothing to lock). */
  user(): UserInfo | null;
  /** The session ended from the lock screen (signed out, or too many wrong passwords). */
  onSignedOut(notice: string | null): void;
}

export class IdleLock {
  private locked = false;
  private lastActivity = Date.now();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private screen: HTMLElement | null = null;
  private returnFocus: HTMLElement | null = null;

  constructor(private readonly o: IdleLockOptions) {}

  /** Starts watching for input and for Ctrl+L. */
  start(): void {
    for (const type of ACTIVITY) {
      window.addEventListener(type, () => {
        if (!this.locked) this.lastActivity = Date.now();
      }, { capture: true, passive: true });
    }
    // before any other handler (dialogs stop their keys from reaching the page)
    window.addEventListener(
      "keydown",
      (e) => {
        if (e.ctrlKey && !e.altKey && !e.metaKey && e.code === "KeyL") {
          e.preventDefault();
          e.stopPropagation();
          void this.lock();
        }
      },
      { capture: true },
    );
    document.addEventListener("visibilitychange", () => this.check());
    this.schedule();
  }

  isLocked(): boolean {
    return this.locked;
  }

  /** Locks now (the core remembers it); nothing happens when nobody is signed in. */
  async lock(): Promise<void> {
    if (this.locked || !this.o.user()) return;
    this.show();
    try {
      await api.lock();
    } catch {
      // The screen is locked all the same; only a restart of the app would forget it.
    }
  }

  /** Shows the lock screen without telling the core (it already knows: the app started locked). */
  show(): void {
    const user = this.o.user();
    if (this.locked || !user) return;
    this.locked = true;
    this.returnFocus = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null;
    this.screen = this.build(user);
    document.body.appendChild(this.screen);
    document.body.classList.add("locked");
    this.screen.querySelector<HTMLInputElement>("#lock-password")?.focus();
  }

  /** Takes the lock screen away (after an unlock, or when the shell is torn down). */
  hide(): void {
    if (!this.locked) return;
    this.locked = false;
    this.screen?.remove();
    this.screen = null;
    document.body.classList.remove("locked");
    this.lastActivity = Date.now();
    const back = this.returnFocus;
    this.returnFocus = null;
    if (back && back.isConnected) back.focus();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const idleMs = loadIdleMinutes(globalThis.localStorage) * 60_000;
    // often enough that a short setting locks on time, rarely enough to cost nothing
    const every = Math.max(250, Math.min(5_000, idleMs / 4));
    this.timer = setTimeout(() => {
      this.check();
      this.schedule();
    }, every);
  }

  private check(): void {
    if (this.locked || !this.o.user()) return;
    const idleMs = loadIdleMinutes(globalThis.localStorage) * 60_000;
    if (Date.now() - this.lastActivity >= idleMs) void this.lock();
  }

  private build(user: UserInfo): HTMLElement {
    const password = field(h("input", { type: "password", autocomplete: "current-password" }), {
      id: "lock-password",
      name: "password",
      label: "Password",
      required: true,
    });
    const err = banner("lock-error");
    const submit = h("button", { type: "submit", class: "btn btn-primary btn-block", "data-testid": "lock-submit", id: "lock-submit" }, "Unlock");
    const other = h("button", { type: "button", class: "btn btn-block", "data-testid": "lock-switch-user", id: "lock-switch-user" }, "Sign in as someone else");
    const form = h(
      "form",
      { class: "login-form", novalidate: true, "aria-labelledby": "lock-title" },
      h("h1", { id: "lock-title" }, "Screen locked"),
      h(
        "p",
        { "data-testid": "lock-user", class: "lock-user" },
        h("strong", null, user.full_name),
        ` (${user.username}) is signed in. Enter your password to go on.`,
      ),
      password.wrap,
      err,
      submit,
      other,
    );
    let busy = false;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (busy) return;
      if (password.control.value === "") {
        showFieldErrors([password], { password: ["is required"] }, err);
        password.control.focus();
        return;
      }
      busy = true;
      submit.disabled = true;
      submit.textContent = "Checking…";
      try {
        await api.unlock(password.control.value);
        password.control.value = "";
        this.hide();
      } catch (raw) {
        const ce = raw as CommandError;
        if (ce.code === "not_signed_in") {
          this.hide();
          this.o.onSignedOut(ce.message);
          return;
        }
        if (ce.fields) showFieldErrors([password], ce.fields, err);
        else setBanner(err, ce.message);
        password.control.select();
        password.control.focus();
      } finally {
        busy = false;
        submit.disabled = false;
        submit.textContent = "Unlock";
      }
    });
    other.addEventListener("click", async () => {
      try {
        await api.logout(false, false);
      } catch (raw) {
        setBanner(err, `Signing out failed: ${(raw as CommandError).message}`);
        return;
      }
      this.hide();
      this.o.onSignedOut(null);
    });
    const el = h(
      "div",
      { class: "lock-screen", id: "lock-screen", "data-testid": "lock-screen", role: "dialog", "aria-modal": "true", "aria-labelledby": "lock-title" },
      h(
        "div",
        { class: "login-card" },
        h("div", { class: "login-brand" }, h("span", { class: "logo", "aria-hidden": "true" }, "+"), "medoffice"),
        form,
        h("p", { class: "login-foot" }, "Patient records are hidden while the screen is locked. Work in progress is kept and the sync goes on."),
      ),
    );
    // keys typed here are for this form only: no app shortcut runs under the lock
    el.addEventListener("keydown", (e) => {
      if (e.key === "Tab") {
        const items = [password.control, submit, other];
        const i = items.indexOf(document.activeElement as HTMLInputElement & HTMLButtonElement);
        if (e.shiftKey && i === 0) {
          e.preventDefault();
          other.focus();
        } else if (!e.shiftKey && i === items.length - 1) {
          e.preventDefault();
          password.control.focus();
        }
      }
      e.stopPropagation();
    });
    return el;
  }
}
