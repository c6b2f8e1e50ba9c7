// My account (every user): who I am here, change my password, set up or turn off two-factor
// sign-in. Online only; offline each action says it needs the server.

import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import type { UserInfo } from "../bindings/UserInfo";
import { h, replace } from "../dom";
import { ROLE_LABEL } from "../lib/format";
import { formatDateTime } from "../lib/locale";
import type { Ctx, Screen } from "../ui/context";
import { banner, field, saveErrorText, setBanner, showFieldErrors } from "../ui/forms";
import { passwordForm, recoveryCodesPanel, totpSetupPanel } from "./accountForms";

export function accountScreen(ctx: Ctx): Screen {
  const heading = h("h1", { id: "account-title", tabindex: -1 }, "My account");
  const facts = h("dl", { class: "demo facts", "data-testid": "account-facts" });
  const passwordBody = h("div");
  const totpBody = h("div", { "data-testid": "account-totp" });
  const err = banner("account-error");
  const el = h(
    "section",
    { class: "screen account-screen", "data-testid": "account-screen", "aria-labelledby": "account-title" },
    h("div", { class: "screen-head" }, heading),
    err,
    h("section", { class: "panel", "aria-labelledby": "account-you" }, h("h2", { id: "account-you" }, "Your account"), facts),
    h("section", { class: "panel", "aria-labelledby": "account-password" }, h("h2", { id: "account-password" }, "Password"), passwordBody),
    h("section", { class: "panel", "aria-labelledby": "account-2fa" }, h("h2", { id: "account-2fa" }, "Two-factor sign-in"), totpBody),
  );
  let me: UserInfo = ctx.user;
  let busy = false;

  const renderFacts = () => {
    const row = (k: string, v: string, testid: string) => [h("dt", null, k), h("dd", { "data-testid": testid }, v)];
    replace(
      facts,
      row("Name", me.full_name, "account-name"),
      row("Username", me.username, "account-username"),
      row("Role", ROLE_LABEL[me.role], "account-role"),
      row("Clinic", `${me.tenant.name} (${me.tenant.code})`, "account-clinic"),
      row("Two-factor", me.totp_enabled ? "On" : "Off", "account-totp-state"),
      row("Last sign-in", me.last_login_at ? formatDateTime(me.last_login_at, ctx.tz) : "—", "account-last-login"),
    );
  };

  const renderPassword = () => {
    const open = h("button", { type: "button", class: "btn", "data-testid": "account-change-password" }, "Change password");
    open.addEventListener("click", () => {
      const f = passwordForm({
        prefix: "acct-pw",
        username: me.username,
        submitLabel: "Change password",
        onDone: (u) => {
          me = { ...me, ...u };
          ctx.toast("Password changed. Your sessions on other workstations were signed out.", "success");
          renderPassword();
        },
        onCancel: () => renderPassword(),
      });
      replace(passwordBody, f.el);
      f.focus();
    });
    replace(passwordBody, h("p", { class: "muted" }, "Changing it signs you out on every other workstation. Offline sign-in here takes the new password."), open);
  };

  const requiredForMe = () => me.role === "admin" && me.tenant.require_admin_totp;

  const renderTotp = () => {
    if (!me.totp_enabled) {
      const start = h("button", { type: "button", class: "btn btn-primary", "data-testid": "account-totp-setup" }, "Set up two-factor sign-in");
      start.addEventListener("click", () => {
        const panel = totpSetupPanel({
          prefix: "totp",
          onEnabled: (r) => {
            me = r.user;
            renderFacts();
            const codes = recoveryCodesPanel(r.recovery_codes, me.full_name, me.tenant.name, () => {
              renderTotp();
              heading.focus();
            }, "I have saved them: done");
            replace(totpBody, codes.el);
            codes.focus();
          },
          onCancel: () => renderTotp(),
        });
        replace(totpBody, panel.el);
        panel.focus();
      });
      replace(
        totpBody,
        h("p", { "data-testid": "account-totp-off" }, "Off. With two-factor sign-in, signing in also needs a 6-digit code from an app on your phone, so a stolen password alone is not enough."),
        requiredForMe() ? h("p", { class: "banner banner-info" }, "This clinic requires it for administrators.") : null,
        start,
      );
      return;
    }
    const on = h("p", { "data-testid": "account-totp-on" }, "On. Signing in needs your password and a code from your authenticator app (or one of your recovery codes).");
    if (requiredForMe()) {
      replace(totpBody, on, h("p", { class: "muted" }, "This clinic requires two-factor sign-in for administrators, so it cannot be turned off. If your phone is lost, another administrator can reset it."));
      return;
    }
    const pw = field(h("input", { type: "password", autocomplete: "current-password" }), { id: "totp-off-password", name: "password", label: "Your password, to turn it off", required: true });
    const offErr = banner("totp-off-error");
    const off = h("button", { type: "submit", class: "btn btn-quiet-danger", "data-testid": "totp-off" }, "Turn off two-factor sign-in");
    const form = h("form", { class: "stack-form narrow", novalidate: true }, pw.wrap, offErr, h("div", { class: "form-actions" }, off));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (busy) return;
      if (!pw.control.value) {
        showFieldErrors([pw], { password: ["is required"] }, offErr);
        pw.control.focus();
        return;
      }
      busy = true;
      off.disabled = true;
      try {
        me = await api.totpDisable(pw.control.value);
        ctx.toast("Two-factor sign-in is off.", "success");
        renderFacts();
        renderTotp();
      } catch (raw) {
        const ce = raw as CommandError;
        showFieldErrors([pw], ce.fields ?? {}, offErr);
        if (!ce.fields) setBanner(offErr, saveErrorText(ce, "turn off two-factor sign-in"));
        pw.control.focus();
      } finally {
        busy = false;
        off.disabled = false;
      }
    });
    replace(totpBody, on, form);
  };

  const load = async () => {
    try {
      me = await api.myAccount();
      setBanner(err, null);
    } catch (raw) {
      setBanner(err, `Could not read your account from the server: ${(raw as CommandError).message}`);
    }
    renderFacts();
    renderTotp();
  };
  renderFacts();
  renderPassword();
  renderTotp();
  void load();

  return {
    el,
    title: "My account",
    focus: () => heading.focus(),
  };
}
