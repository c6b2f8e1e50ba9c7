// Administration → Staff accounts: the clinic's accounts (deactivated ones too), a new account
// with a temporary password shown once, role changes, password and two-factor resets,
// deactivation (which ends the person's sessions at once). Online only.

import { nowMs } from "../lib/clock";
import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import type { Role } from "../bindings/Role";
import type { UserInfo } from "../bindings/UserInfo";
import { h, replace } from "../dom";
import { ROLE_LABEL } from "../lib/format";
import { formatDateTime } from "../lib/locale";
import { confirmAction, showOnce } from "../ui/confirm";
import type { Ctx, Screen } from "../ui/context";
import { banner, field, saveErrorText, select, setBanner, showFieldErrors, textInput } from "../ui/forms";
import { secretValue } from "./accountForms";

const ROLES: Role[] = ["admin", "physician", "nurse", "receptionist"];

/** What a refused admin action says: the plan limit and the last-admin rule in words. */
export function adminErrorText(e: CommandError, what: string): string {
  if (e.code === "plan_limit") return `Not possible: ${e.message}`;
  if (e.code === "validation" && e.fields) {
    const msgs = Object.entries(e.fields).flatMap(([, v]) => v ?? []);
    if (msgs.length > 0) return `Not possible: ${msgs.join("; ")}.`;
  }
  return saveErrorText(e, what);
}

function temporaryPasswordContent(who: UserInfo, password: string, intro: string): Node[] {
  return [
    h("p", null, intro),
    secretValue(password, "temp-password", "Temporary password"),
    h(
      "p",
      { class: "banner banner-warn" },
      `Shown only now. Give it to ${who.full_name} in person; they must change it at their first sign-in (username `,
      h("strong", null, who.username),
      ").",
    ),
  ];
}

export function usersScreen(ctx: Ctx): Screen {
  const heading = h("h1", { id: "users-title", tabindex: -1 }, "Staff accounts");
  const err = banner("users-error");
  const tbody = h("tbody");
  const count = h("p", { class: "muted", "data-testid": "users-count", "aria-live": "polite" });
  const addBtn = h("button", { type: "button", class: "btn btn-primary", "data-testid": "users-add" }, "Add staff member");
  const addPanel = h("section", { class: "panel", "data-testid": "users-add-panel", "aria-labelledby": "users-add-title" });
  addPanel.hidden = true;
  const el = h(
    "section",
    { class: "screen users-screen", "data-testid": "users-screen", "aria-labelledby": "users-title" },
    h("div", { class: "screen-head" }, heading, addBtn),
    addPanel,
    err,
    count,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data-table users-table", "data-testid": "users-table", "aria-label": "Staff accounts" },
        h("thead", null, h("tr", null, ...["Name", "Username", "Role", "Status", "Two-factor", "Last sign-in", "Actions"].map((c) => h("th", { scope: "col" }, c)))),
        tbody,
      ),
    ),
  );
  let users: UserInfo[] = [];
  // deactivated accounts apart and folded away: a clinic's list of who works here stays short
  const oldBody = h("tbody");
  const oldSummary = h("summary", { "data-testid": "users-deactivated-summary" });
  const old = h(
    "details",
    { class: "users-deactivated", "data-testid": "users-deactivated" },
    oldSummary,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data-table users-table", "aria-label": "Deactivated staff accounts" },
        h("thead", null, h("tr", null, ...["Name", "Username", "Role", "Status", "Two-factor", "Last sign-in", "Actions"].map((c) => h("th", { scope: "col" }, c)))),
        oldBody,
      ),
    ),
  );
  el.appendChild(old);

  const replaceUser = (u: UserInfo) => {
    users = users.map((x) => (x.id === u.id ? u : x));
    render();
  };

  const act = async (what: string, run: () => Promise<void>) => {
    setBanner(err, null);
    try {
      await run();
    } catch (raw) {
      setBanner(err, adminErrorText(raw as CommandError, what));
      void load();
    }
  };

  const changeRole = async (u: UserInfo, role: Role, control: HTMLSelectElement) => {
    const ok = await confirmAction({
      title: "Change role",
      testid: "role-dialog",
      confirmLabel: `Make ${ROLE_LABEL[role].toLowerCase()}`,
      text: `Change ${u.full_name} from ${ROLE_LABEL[u.role]} to ${ROLE_LABEL[role]}? It takes effect at their next request.`,
    });
    if (!ok) {
      control.value = u.role;
      return;
    }
    await act("change this role", async () => {
      const saved = await api.updateUser(u.id, { role });
      ctx.toast(`${saved.full_name} is now ${ROLE_LABEL[saved.role].toLowerCase()}.`, "success");
      replaceUser(saved);
    });
  };

  const setActive = async (u: UserInfo, active: boolean) => {
    const ok = await confirmAction({
      title: active ? "Reactivate account" : "Deactivate account",
      testid: "active-dialog",
      danger: !active,
      confirmLabel: active ? "Reactivate" : "Deactivate",
      text: active
        ? `Reactivate ${u.full_name}? They can sign in again with their password.`
        : `Deactivate ${u.full_name}? This ends their sessions now, on every workstation, and they cannot sign in until reactivated. Their records and audit entries stay.`,
    });
    if (!ok) return;
    await act(active ? "reactivate accounts" : "deactivate accounts", async () => {
      const saved = await api.updateUser(u.id, { active });
      ctx.toast(active ? `${saved.full_name} can sign in again.` : `${saved.full_name} is deactivated and signed out everywhere.`, "success");
      replaceUser(saved);
    });
  };

  const resetPassword = async (u: UserInfo) => {
    const ok = await confirmAction({
      title: "Reset password",
      testid: "reset-password-dialog",
      confirmLabel: "Reset password",
      text: `Give ${u.full_name} a new temporary password? Their sessions end now; they sign in with it and must choose their own.`,
    });
    if (!ok) return;
    await act("reset passwords", async () => {
      const t = await api.resetUserPassword(u.id);
      showOnce({ title: "New temporary password", testid: "temp-password-dialog", content: temporaryPasswordContent(u, t.temporary_password, `The password of ${u.full_name} was reset.`) });
      void load();
    });
  };

  const resetTotp = async (u: UserInfo) => {
    const ok = await confirmAction({
      title: "Reset two-factor sign-in",
      testid: "reset-totp-dialog",
      confirmLabel: "Reset two-factor",
      text: `Turn off two-factor sign-in for ${u.full_name} (for a lost phone)? They sign in with their password and set it up again.`,
    });
    if (!ok) return;
    await act("reset two-factor sign-in", async () => {
      const saved = await api.resetUserTotp(u.id);
      ctx.toast(`Two-factor sign-in of ${saved.full_name} was reset.`, "success");
      replaceUser(saved);
    });
  };

  const rowOf = (u: UserInfo) => {
        const me = u.id === ctx.user.id;
        const role = select(ROLES.map((r): [string, string] => [r, ROLE_LABEL[r]]), u.role);
        role.id = `user-role-${u.id}`;
        role.dataset.testid = "user-role";
        role.setAttribute("aria-label", `Role of ${u.full_name}`);
        role.disabled = !u.active;
        role.addEventListener("change", () => void changeRole(u, role.value as Role, role));
        const btn = (label: string, testid: string, onclick: () => void, cls = "btn btn-small") =>
          h("button", { type: "button", class: cls, "data-testid": testid, "aria-label": `${label}: ${u.full_name}`, onclick }, label);
        return h(
          "tr",
          { "data-testid": "user-row", "data-user-id": u.id, "data-username": u.username, "data-active": String(u.active), class: u.active ? null : "row-inactive" },
          h("td", null, h("strong", null, u.full_name), me ? h("span", { class: "badge" }, "you") : null),
          h("td", { class: "mono" }, u.username),
          h("td", { class: "role-cell" }, role),
          h(
            "td",
            { "data-testid": "user-status" },
            u.active ? "Active" : h("span", { class: "badge badge-rejected" }, "Deactivated"),
            u.must_change_password ? h("span", { class: "badge badge-pending", title: "Signs in with a temporary password and must change it" }, "temporary password") : null,
            u.locked_until && Date.parse(u.locked_until) > nowMs() ? h("span", { class: "badge badge-held" }, `locked until ${formatDateTime(u.locked_until, ctx.tz)}`) : null,
          ),
          h("td", { "data-testid": "user-totp" }, u.totp_enabled ? "On" : "Off"),
          h("td", { class: "nowrap" }, u.last_login_at ? formatDateTime(u.last_login_at, ctx.tz) : "never"),
          h(
            "td",
            null,
            h(
              "div",
              { class: "row-actions" },
              u.active ? btn("Reset password", "user-reset-password", () => void resetPassword(u)) : null,
            u.totp_enabled ? btn("Reset two-factor", "user-reset-totp", () => void resetTotp(u)) : null,
            u.active
              ? me
                ? null
                : btn("Deactivate", "user-deactivate", () => void setActive(u, false), "btn btn-small btn-quiet-danger")
              : btn("Reactivate", "user-reactivate", () => void setActive(u, true)),
            ),
          ),
        );
  };

  const render = () => {
    replace(tbody, users.filter((u) => u.active).map(rowOf));
    const gone = users.filter((u) => !u.active);
    replace(oldBody, gone.map(rowOf));
    oldSummary.textContent = `Deactivated accounts (${gone.length})`;
    old.hidden = gone.length === 0;
    const active = users.filter((u) => u.active).length;
    const limit = ctx.user.tenant.max_users;
    count.textContent = `${active} active ${active === 1 ? "account" : "accounts"}${limit !== null && limit !== undefined ? ` of ${limit} the plan allows` : ""}; ${users.length - active} deactivated.`;
  };

  const openAdd = () => {
    const username = field(textInput({ autocapitalize: "off" }), { id: "new-user-username", name: "username", label: "Username", required: true, hint: "3–64 letters, digits, dots, underscores or hyphens, e.g. nina.nurse" });
    const fullName = field(textInput({ autocomplete: "off" }), { id: "new-user-full_name", name: "full_name", label: "Full name", required: true });
    const role = field(select([["", "Choose a role"], ...ROLES.map((r): [string, string] => [r, ROLE_LABEL[r]])]), { id: "new-user-role", name: "role", label: "Role", required: true });
    const fields = [username, fullName, role];
    const addErr = banner("new-user-error");
    const save = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "new-user-save" }, "Create account");
    const cancel = h("button", { type: "button", class: "btn", "data-testid": "new-user-cancel" }, "Cancel");
    const form = h(
      "form",
      { class: "form-grid", novalidate: true, "data-testid": "new-user-form" },
      username.wrap,
      fullName.wrap,
      role.wrap,
      h("div", { class: "span-all muted small" }, "The server makes a temporary password; you see it once, and they change it at their first sign-in."),
      h("div", { class: "span-all" }, addErr),
      h("div", { class: "form-actions span-all" }, save, cancel),
    );
    const close = () => {
      addPanel.hidden = true;
      replace(addPanel);
      addBtn.focus();
    };
    cancel.addEventListener("click", close);
    form.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        close();
      }
    });
    let busy = false;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (busy) return;
      const missing: Record<string, string[]> = {};
      for (const f of fields) if (!f.control.value.trim()) missing[f.name] = ["is required"];
      const first = showFieldErrors(fields, missing, addErr);
      if (first) {
        first.control.focus();
        return;
      }
      busy = true;
      save.disabled = true;
      try {
        const created = await api.createUser({ username: username.control.value.trim(), full_name: fullName.control.value.trim(), role: role.control.value as Role });
        users = [...users, created.user];
        render();
        close();
        showOnce({
          title: "Account created",
          testid: "created-dialog",
          content: temporaryPasswordContent(created.user, created.temporary_password, `${created.user.full_name} (${ROLE_LABEL[created.user.role]}) can sign in with this temporary password:`),
        });
      } catch (raw) {
        const ce = raw as CommandError;
        const f = showFieldErrors(fields, ce.fields ?? {}, addErr);
        if (!ce.fields) setBanner(addErr, adminErrorText(ce, "create accounts"));
        (f ?? username).control.focus();
      } finally {
        busy = false;
        save.disabled = false;
      }
    });
    replace(addPanel, h("h2", { id: "users-add-title" }, "Add staff member"), form);
    addPanel.hidden = false;
    username.control.focus();
  };
  addBtn.addEventListener("click", openAdd);

  const load = async () => {
    try {
      users = await api.listUsers();
      setBanner(err, null);
      render();
    } catch (raw) {
      setBanner(err, `Could not read the staff accounts: ${(raw as CommandError).message}`);
    }
  };
  void load();

  return {
    el,
    title: "Staff accounts",
    focus: () => heading.focus(),
    refresh: (entities) => {
      if (entities.includes("user")) void load();
    },
  };
}
