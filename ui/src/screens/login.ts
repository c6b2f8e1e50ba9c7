// Sign-in: server URL, clinic code, username, password, and the two-factor code when the
// account has one. The server may ask for one more step first: a temporary password is
// changed, or a second factor set up, in the same place before the session starts. Also used,
// in a dialog, to sign in again when the session ends, so the form underneath keeps what was
// typed.

import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import type { SessionState } from "../bindings/SessionState";
import type { UserInfo } from "../bindings/UserInfo";
import { h, replace } from "../dom";
import { parseSecondFactor } from "../lib/account";
import { banner, field, setBanner, showFieldErrors, textInput } from "../ui/forms";
import { passwordForm, recoveryCodesPanel, totpSetupPanel } from "./accountForms";

export const DEFAULT_SERVER_URL = "http://127.0.0.1:8080";

/** Words for a failed sign-in, by error code. */
export function loginErrorText(e: CommandError, serverUrl: string): string {
  switch (e.code) {
    case "unauthorized":
      return "Wrong clinic code, username or password.";
    case "network":
      return `Cannot reach the server at ${serverUrl}. Check the address and the network, then try again. (${e.message})`;
    case "rate_limited":
      return "Too many attempts. Wait a minute, then try again.";
    case "forbidden":
      return `This account may not sign in here: ${e.message}`;
    case "validation":
      return "Please correct the fields marked below.";
    default:
      return e.message || "Sign-in failed.";
  }
}

/** The sign-in form: its element, where to focus, and a way to take new sign-in defaults. */
export interface LoginForm {
  el: HTMLElement;
  focus(): void;
  /** Puts a server address and clinic code (saved in Settings) into the form. */
  setDefaults(serverUrl: string, tenant: string): void;
}

/** The sign-in form (also used in the "Sign in again" dialog). */
export function loginForm(
  prefill: SessionState | null,
  onSignedIn: (u: UserInfo) => void,
  opts: { notice?: string } = {},
): LoginForm {
  const server = field(
    textInput({ value: prefill?.server_url ?? DEFAULT_SERVER_URL, inputmode: "url", autocomplete: "url" }),
    { id: "login-server-url", name: "server_url", label: "Server address", required: true },
  );
  const tenant = field(textInput({ value: prefill?.tenant ?? "", autocomplete: "organization" }), {
    id: "login-tenant",
    name: "tenant",
    label: "Clinic code",
    required: true,
  });
  const username = field(textInput({ value: prefill?.username ?? "", autocomplete: "username", autocapitalize: "off" }), {
    id: "login-username",
    name: "username",
    label: "Username",
    required: true,
  });
  const password = field(h("input", { type: "password", autocomplete: "current-password" }), {
    id: "login-password",
    name: "password",
    label: "Password",
    required: true,
  });
  const totp = field(textInput({ autocomplete: "one-time-code", autocapitalize: "off", maxlength: 12 }), {
    id: "login-totp",
    name: "totp_code",
    label: "Two-factor code",
    hint: "The 6-digit code from your authenticator app, or one of your recovery codes.",
  });
  totp.wrap.hidden = true;
  const fields = [server, tenant, username, password, totp];
  const err = banner("login-error");
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block", id: "login-submit", "data-testid": "login-submit" }, "Sign in");
  const title = h("h1", { id: "login-title", tabindex: -1 }, "Sign in");
  const form = h(
    "form",
    { class: "login-form", id: "login-form", novalidate: true, "aria-labelledby": "login-title" },
    title,
    opts.notice ? h("p", { class: "banner banner-info", "data-testid": "login-notice" }, opts.notice) : null,
    ...fields.map((f) => f.wrap),
    err,
    submit,
  );
  const box = h("div", { class: "login-steps", "data-testid": "login-steps" }, form);
  let focusNow: () => void = () => {
    const firstEmpty = fields.find((f) => !f.wrap.hidden && f.control.value.trim() === "");
    (firstEmpty ?? password).control.focus();
  };

  /** Back to the sign-in form (a step was cancelled). */
  const backToForm = (message: string | null) => {
    totp.wrap.hidden = true;
    totp.control.value = "";
    password.control.value = "";
    replace(box, form);
    setBanner(err, message, "info");
    password.control.focus();
  };
  const cancelStep = async () => {
    try {
      await api.cancelSignIn();
    } catch {
      // nothing held any more
    }
    backToForm("Sign-in cancelled.");
  };
  /** The next step the server asked for, or false when `e` is no step. */
  const step = (e: CommandError, typedPassword: string): boolean => {
    if (e.code === "password_change_required") {
      const who = username.control.value.trim();
      const f = passwordForm({
        prefix: "pw",
        username: who,
        current: typedPassword,
        currentLabel: "Temporary password",
        submitLabel: "Set new password and sign in",
        intro: "You signed in with a temporary password. Choose your own password now; you will use it from the next sign-in on.",
        onDone: onSignedIn,
        onOtherError: (e2) => step(e2, ""),
        onCancel: () => void cancelStep(),
        cancelLabel: "Cancel sign-in",
      });
      replace(box, h("h1", { id: "pw-title", "data-testid": "change-password-title" }, "Choose a new password"), f.el);
      focusNow = f.focus;
      f.focus();
      return true;
    }
    if (e.code === "totp_enrollment_required") {
      const who = username.control.value.trim();
      const panel = totpSetupPanel({
        prefix: "enrol",
        intro: "This clinic requires administrators to sign in with a second factor. Set it up now to go on.",
        onEnabled: (r) => {
          const codes = recoveryCodesPanel(r.recovery_codes, r.user.full_name || who, r.user.tenant.name, () => onSignedIn(r.user));
          replace(box, codes.el);
          focusNow = codes.focus;
          codes.focus();
        },
        onOtherError: (e2) => step(e2, ""),
        onCancel: () => void cancelStep(),
        cancelLabel: "Cancel sign-in",
      });
      replace(box, h("h1", { "data-testid": "enrol-title" }, "Set up two-factor sign-in"), panel.el);
      focusNow = panel.focus;
      panel.focus();
      return true;
    }
    return false;
  };

  let busy = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    const missing: Record<string, string[]> = {};
    for (const f of fields) if (f !== totp && f.control.value.trim() === "") missing[f.name] = ["is required"];
    const url = server.control.value.trim();
    if (url && !/^https?:\/\/[^\s/]+/i.test(url)) missing.server_url = ["must start with http:// or https://"];
    let code: string | null = null;
    if (!totp.wrap.hidden) {
      const parsed = parseSecondFactor(totp.control.value);
      if (parsed.ok) code = parsed.code;
      else missing.totp_code = [parsed.error];
    }
    const first = showFieldErrors(fields, missing, err);
    if (first) {
      setBanner(err, "Please fill in the fields marked below.");
      first.control.focus();
      return;
    }
    busy = true;
    submit.disabled = true;
    submit.textContent = "Signing in…";
    setBanner(err, null);
    const typed = password.control.value;
    try {
      const user = await api.login(url, tenant.control.value.trim(), username.control.value.trim(), typed, code);
      onSignedIn(user);
    } catch (raw) {
      const ce = raw as CommandError;
      if (ce.code === "totp_required") {
        totp.wrap.hidden = false;
        setBanner(err, "This account uses two-factor sign-in: type the code from your authenticator app (or a recovery code).", "info");
        totp.control.focus();
      } else if (!step(ce, typed)) {
        if (ce.fields) showFieldErrors(fields, ce.fields, err);
        // a wrong code and a wrong password get the same answer: type both again
        const withCode = ce.code === "unauthorized" && !totp.wrap.hidden;
        setBanner(err, withCode ? "Wrong password or two-factor code. Type both again (a code is good for 30 seconds, and once)." : loginErrorText(ce, url));
        if (ce.code === "unauthorized") {
          if (withCode) totp.control.value = "";
          password.control.focus();
          password.control.select();
        } else if (ce.code === "network") {
          server.control.focus();
        }
      }
    } finally {
      busy = false;
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });
  return {
    el: box,
    focus: () => focusNow(),
    setDefaults: (serverUrl, code) => {
      server.control.value = serverUrl;
      tenant.control.value = code;
      server.setError(null);
      tenant.setError(null);
    },
  };
}

/** The full-page sign-in screen. */
export function loginScreen(
  prefill: SessionState | null,
  onSignedIn: (u: UserInfo) => void,
  notice?: string,
  onSettings?: (form: LoginForm) => void,
): { el: HTMLElement; focus(): void } {
  const f = loginForm(prefill, onSignedIn, notice ? { notice } : {});
  const settings = onSettings
    ? h("button", { type: "button", class: "link-btn", id: "login-settings", "data-testid": "login-settings" }, "Settings")
    : null;
  settings?.addEventListener("click", () => onSettings?.(f));
  const el = h(
    "main",
    { class: "login-page", id: "login-page" },
    h(
      "div",
      { class: "login-card" },
      h("div", { class: "login-brand" }, h("span", { class: "logo", "aria-hidden": "true" }, "+"), "medoffice"),
      f.el,
      h("p", { class: "login-foot" }, "Clinic workstation. Work continues offline once signed in."),
      settings ? h("p", { class: "login-foot" }, settings, " · theme, server address, clinic code, units") : null,
    ),
  );
  return { el, focus: f.focus };
}
