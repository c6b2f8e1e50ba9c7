// Forms shared by the sign-in steps and the "My account" screen: change the password, set up
// two-factor sign-in (QR code, confirm with a code), and the recovery codes shown once.

import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import type { TotpEnabled } from "../bindings/TotpEnabled";
import type { UserInfo } from "../bindings/UserInfo";
import { h, replace } from "../dom";
import { groupSecret, parseTotpCode, passwordRuleErrors, PASSWORD_RULES_HINT, recoveryCodesText } from "../lib/account";
import { banner, field, saveErrorText, setBanner, showFieldErrors, textInput } from "../ui/forms";

/** Copies text to the clipboard; false when the webview would not. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && typeof navigator.clipboard.writeText === "function") {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall back below
  }
  const ta = h("textarea", { class: "sr-only", "aria-hidden": "true", readonly: true });
  ta.value = text;
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

/** A value shown once (a temporary password), with a copy button. */
export function secretValue(value: string, testid: string, label: string): HTMLElement {
  const status = h("span", { class: "muted small", "aria-live": "polite", "data-testid": `${testid}-copied` });
  const copy = h("button", { type: "button", class: "btn btn-small", "data-testid": `${testid}-copy` }, "Copy");
  copy.addEventListener("click", async () => {
    status.textContent = (await copyText(value)) ? "Copied." : "Could not copy: select the text and copy it by hand.";
  });
  return h(
    "div",
    { class: "secret-value" },
    h("span", { class: "sr-only" }, `${label}: `),
    h("code", { class: "secret-text", "data-testid": testid, tabindex: 0 }, value),
    copy,
    status,
  );
}

export interface PasswordFormOptions {
  /** Element id prefix (`pw`). */
  prefix: string;
  username: string;
  /** Prefill of the current password (the temporary one just typed at sign-in). */
  current?: string;
  currentLabel?: string;
  submitLabel: string;
  intro?: string;
  onDone: (user: UserInfo) => void;
  /** Errors the form itself does not handle (e.g. `totp_enrollment_required` at sign-in). */
  onOtherError?: (e: CommandError) => boolean;
  onCancel?: () => void;
  cancelLabel?: string;
}

/** Current + new + repeat; the rules are checked here and again by the server, next to the fields. */
export function passwordForm(o: PasswordFormOptions): { el: HTMLFormElement; focus(): void } {
  const p = o.prefix;
  const current = field(h("input", { type: "password", autocomplete: "current-password", value: o.current ?? "" }), {
    id: `${p}-current`,
    name: "current_password",
    label: o.currentLabel ?? "Current password",
    required: true,
  });
  const next = field(h("input", { type: "password", autocomplete: "new-password" }), {
    id: `${p}-new`,
    name: "new_password",
    label: "New password",
    required: true,
    hint: PASSWORD_RULES_HINT,
  });
  const repeat = field(h("input", { type: "password", autocomplete: "new-password" }), {
    id: `${p}-repeat`,
    name: "repeat_password",
    label: "New password again",
    required: true,
  });
  const fields = [current, next, repeat];
  const err = banner(`${p}-error`);
  const submit = h("button", { type: "submit", class: "btn btn-primary", id: `${p}-save`, "data-testid": `${p}-save` }, o.submitLabel);
  const cancel = o.onCancel
    ? h("button", { type: "button", class: "btn", "data-testid": `${p}-cancel`, onclick: () => o.onCancel?.() }, o.cancelLabel ?? "Cancel")
    : null;
  const form = h(
    "form",
    { class: "stack-form", id: `${p}-form`, "data-testid": `${p}-form`, novalidate: true },
    o.intro ? h("p", { class: "banner banner-info", "data-testid": `${p}-intro` }, o.intro) : null,
    ...fields.map((f) => f.wrap),
    err,
    h("div", { class: "form-actions" }, submit, cancel),
  );
  let busy = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    const errors = passwordRuleErrors({ username: o.username, current: current.control.value, next: next.control.value, repeat: repeat.control.value });
    const first = showFieldErrors(fields, errors, err);
    if (first) {
      first.control.focus();
      return;
    }
    busy = true;
    submit.disabled = true;
    try {
      const user = await api.changePassword(current.control.value, next.control.value);
      o.onDone(user);
    } catch (raw) {
      const ce = raw as CommandError;
      if (o.onOtherError?.(ce)) return;
      const f = showFieldErrors(fields, ce.fields ?? {}, err);
      if (!ce.fields) setBanner(err, saveErrorText(ce, "change this password"));
      (f ?? next).control.focus();
    } finally {
      busy = false;
      submit.disabled = false;
    }
  });
  return { el: form, focus: () => (current.control.value ? next : current).control.focus() };
}

export interface TotpSetupOptions {
  prefix: string;
  intro?: string;
  onEnabled: (r: TotpEnabled) => void;
  onOtherError?: (e: CommandError) => boolean;
  onCancel?: () => void;
  cancelLabel?: string;
}

/** Asks the server for a secret, shows its QR code, and confirms with a code from the app. */
export function totpSetupPanel(o: TotpSetupOptions): { el: HTMLElement; focus(): void } {
  const p = o.prefix;
  const el = h("div", { class: "totp-setup", "data-testid": `${p}-setup`, "aria-busy": "true" }, h("p", { class: "muted" }, "Asking the server for a new secret…"));
  let focusTarget: HTMLElement | null = null;
  const cancel = () =>
    o.onCancel ? h("button", { type: "button", class: "btn", "data-testid": `${p}-cancel`, onclick: () => o.onCancel?.() }, o.cancelLabel ?? "Cancel") : null;
  api
    .totpSetup()
    .then((setup) => {
      const code = field(textInput({ inputmode: "numeric", autocomplete: "one-time-code", maxlength: 7 }), {
        id: `${p}-code`,
        name: "code",
        label: "Code the app shows now",
        required: true,
        hint: "6 digits; a new one every 30 seconds.",
      });
      const err = banner(`${p}-error`);
      const submit = h("button", { type: "submit", class: "btn btn-primary", "data-testid": `${p}-confirm` }, "Turn on two-factor sign-in");
      const qr = h("img", {
        class: "qr",
        "data-testid": `${p}-qr`,
        width: 220,
        height: 220,
        alt: "QR code of the two-factor secret: scan it with an authenticator app",
        src: `data:image/svg+xml;base64,${btoa(setup.qr_svg)}`,
      });
      const form = h(
        "form",
        { class: "stack-form", novalidate: true, "data-testid": `${p}-form` },
        h(
          "ol",
          { class: "steps" },
          h("li", null, "Open an authenticator app on your phone (for example Google Authenticator, Microsoft Authenticator, FreeOTP or 1Password)."),
          h("li", null, "Scan this QR code, or type the secret below into the app."),
          h("li", null, "Type the 6-digit code the app shows, to prove it works."),
        ),
        h(
          "div",
          { class: "qr-row" },
          qr,
          h(
            "div",
            { class: "qr-secret" },
            h("div", { class: "small muted" }, "Secret (if you cannot scan):"),
            h("code", { class: "secret-text", "data-testid": `${p}-secret`, "data-secret": setup.secret_base32, tabindex: 0 }, groupSecret(setup.secret_base32)),
          ),
        ),
        code.wrap,
        err,
        h("div", { class: "form-actions" }, submit, cancel()),
      );
      let busy = false;
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        if (busy) return;
        const parsed = parseTotpCode(code.control.value);
        if (!parsed.ok) {
          showFieldErrors([code], { code: [parsed.error] }, err);
          code.control.focus();
          return;
        }
        busy = true;
        submit.disabled = true;
        try {
          o.onEnabled(await api.totpConfirm(parsed.code));
        } catch (raw) {
          const ce = raw as CommandError;
          if (o.onOtherError?.(ce)) return;
          showFieldErrors([code], ce.fields ?? {}, err);
          if (!ce.fields) setBanner(err, saveErrorText(ce, "turn on two-factor sign-in"));
          code.control.focus();
          code.control.select();
        } finally {
          busy = false;
          submit.disabled = false;
        }
      });
      replace(el, o.intro ? h("p", { class: "banner banner-info" }, o.intro) : null, form);
      el.removeAttribute("aria-busy");
      focusTarget = code.control;
      if (el.isConnected) code.control.focus();
    })
    .catch((raw) => {
      const ce = raw as CommandError;
      if (o.onOtherError?.(ce)) return;
      replace(el, h("div", { class: "banner banner-error", role: "alert", "data-testid": `${p}-error` }, `Two-factor setup could not start: ${ce.message}`), h("div", { class: "form-actions" }, cancel()));
      el.removeAttribute("aria-busy");
    });
  return { el, focus: () => (focusTarget ?? el).focus() };
}

/** The ten recovery codes, shown once: "save these now", copy, then continue. */
export function recoveryCodesPanel(codes: readonly string[], who: string, clinic: string, onContinue: () => void, continueLabel = "I have saved them: continue"): { el: HTMLElement; focus(): void } {
  const text = recoveryCodesText(codes, who, clinic);
  const status = h("span", { class: "muted small", "aria-live": "polite", "data-testid": "recovery-copied" });
  const copy = h("button", { type: "button", class: "btn", "data-testid": "recovery-copy" }, "Copy all codes");
  copy.addEventListener("click", async () => {
    status.textContent = (await copyText(text)) ? "Copied. Paste them somewhere safe now." : "Could not copy: select the codes and copy them by hand.";
  });
  const go = h("button", { type: "button", class: "btn btn-primary", "data-testid": "recovery-continue", onclick: onContinue }, continueLabel);
  const heading = h("h2", { id: "recovery-title", tabindex: -1 }, "Save your recovery codes now");
  const el = h(
    "section",
    { class: "recovery", "data-testid": "recovery-codes", "aria-labelledby": "recovery-title" },
    heading,
    h(
      "p",
      { class: "banner banner-warn" },
      "Two-factor sign-in is on. These codes are shown only this once. Each one signs you in once if your phone is lost: print them or keep them in a safe place, not on this computer.",
    ),
    h(
      "ol",
      { class: "recovery-list", "aria-label": "Recovery codes" },
      codes.map((c, i) => h("li", null, h("span", { class: "recovery-n", "aria-hidden": "true" }, `${i + 1}.`), h("code", { "data-testid": "recovery-code" }, c))),
    ),
    h("div", { class: "form-actions" }, copy, status),
    h("div", { class: "form-actions" }, go),
  );
  return { el, focus: () => heading.focus() };
}
