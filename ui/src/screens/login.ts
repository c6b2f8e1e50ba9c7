// Sign-in: server URL, clinic code, username, password. Also used, in a dialog, to sign in
// again when the session ends, so the form underneath keeps what was typed.

import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import type { SessionState } from "../bindings/SessionState";
import type { UserInfo } from "../bindings/UserInfo";
import { h } from "../dom";
import { banner, field, setBanner, showFieldErrors, textInput } from "../ui/forms";

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

export function loginForm(
  prefill: SessionState | null,
  onSignedIn: (u: UserInfo) => void,
  opts: { notice?: string } = {},
): { el: HTMLFormElement; focus(): void } {
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
  const fields = [server, tenant, username, password];
  const err = banner("login-error");
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block", id: "login-submit", "data-testid": "login-submit" }, "Sign in");
  const form = h(
    "form",
    { class: "login-form", id: "login-form", novalidate: true, "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Sign in"),
    opts.notice ? h("p", { class: "banner banner-info", "data-testid": "login-notice" }, opts.notice) : null,
    ...fields.map((f) => f.wrap),
    err,
    submit,
  );
  let busy = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    const missing: Record<string, string[]> = {};
    for (const f of fields) if (f.control.value.trim() === "") missing[f.name] = ["is required"];
    const url = server.control.value.trim();
    if (url && !/^https?:\/\/[^\s/]+/i.test(url)) missing.server_url = ["must start with http:// or https://"];
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
    try {
      const user = await api.login(url, tenant.control.value.trim(), username.control.value.trim(), password.control.value);
      onSignedIn(user);
    } catch (raw) {
      const ce = raw as CommandError;
      if (ce.fields) showFieldErrors(fields, ce.fields, err);
      setBanner(err, loginErrorText(ce, url));
      if (ce.code === "unauthorized") {
        password.control.focus();
        password.control.select();
      } else if (ce.code === "network") {
        server.control.focus();
      }
    } finally {
      busy = false;
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });
  const focus = () => {
    const firstEmpty = fields.find((f) => f.control.value.trim() === "");
    (firstEmpty ?? password).control.focus();
  };
  return { el: form, focus };
}

/** The full-page sign-in screen. */
export function loginScreen(
  prefill: SessionState | null,
  onSignedIn: (u: UserInfo) => void,
  notice?: string,
): { el: HTMLElement; focus(): void } {
  const f = loginForm(prefill, onSignedIn, notice ? { notice } : {});
  const el = h(
    "main",
    { class: "login-page", id: "login-page" },
    h(
      "div",
      { class: "login-card" },
      h("div", { class: "login-brand" }, h("span", { class: "logo", "aria-hidden": "true" }, "+"), "medoffice"),
      f.el,
      h("p", { class: "login-foot" }, "Clinic workstation. Work continues offline once signed in."),
    ),
  );
  return { el, focus: f.focus };
}
