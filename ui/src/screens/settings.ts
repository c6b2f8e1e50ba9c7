// Settings of this workstation: the theme, the server address and clinic code the sign-in form
// starts with (kept by the client core in workstation.json), the units of vital signs, the idle
// lock, and removing the clinic's data from the computer. A screen in the shell (route
// `settings`, Ctrl+,) and, without the last two, a dialog from the sign-in page.

import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import type { SessionState } from "../bindings/SessionState";
import { h } from "../dom";
import { loadIdleMinutes, MAX_IDLE_MINUTES, parseIdleMinutes, saveIdleMinutes } from "../lib/idle";
import { checkUnits } from "../lib/settings";
import { applyTheme, loadThemeChoice, saveThemeChoice, THEME_CHOICES, type ThemeChoice } from "../lib/theme";
import { loadUnitPrefs, saveUnitPrefs, unitLabel } from "../lib/units";
import type { Ctx, Screen } from "../ui/context";
import { banner, field, select, setBanner, showFieldErrors, textInput } from "../ui/forms";
import { openModal } from "../ui/modal";
import { DEFAULT_SERVER_URL } from "./login";
import { confirmWipe } from "./workstation";

/** What the settings panels need from where they are shown. */
export interface SettingsOptions {
  /** What the sign-in form prefills now (server address, clinic code). */
  session: SessionState | null;
  /** Signed in: sign-in changes apply at the next sign-in; idle lock and wipe are offered. */
  signedIn: { clinicName: string; onWiped(): void } | null;
  toast(message: string, kind?: "info" | "success" | "error"): void;
  /** The server address and clinic code were saved (the sign-in form can take them). */
  onSignInDefaults?(serverUrl: string, tenant: string): void;
}

/** A line under a section saying what is now saved (announced politely). */
function savedLine(id: string): HTMLElement {
  return h("p", { class: "saved-line", id, "data-testid": id, role: "status" });
}

/** The theme: three radio buttons, applied and remembered at once. */
function themePanel(): HTMLElement {
  const current = loadThemeChoice(globalThis.localStorage);
  const saved = savedLine("set-theme-saved");
  const label = (c: ThemeChoice) => THEME_CHOICES.find(([v]) => v === c)?.[1] ?? c;
  const show = (c: ThemeChoice) => {
    saved.textContent = `Saved: ${label(c)}${c === "system" ? ` (now ${document.documentElement.dataset.theme === "dark" ? "dark" : "light"})` : ""}.`;
  };
  const radios = THEME_CHOICES.map(([value, text]) => {
    const input = h("input", { type: "radio", name: "theme", value, id: `set-theme-${value}`, "data-testid": `set-theme-${value}` });
    input.checked = value === current;
    input.addEventListener("change", () => {
      if (!input.checked) return;
      saveThemeChoice(globalThis.localStorage, value);
      applyTheme(window, value);
      show(value);
    });
    return h("label", { class: "choice", for: `set-theme-${value}` }, input, h("span", null, text));
  });
  show(current);
  return h(
    "section",
    { class: "panel settings-panel", "aria-labelledby": "set-theme-title", "data-testid": "settings-theme" },
    h("h2", { id: "set-theme-title" }, "Theme"),
    h("fieldset", { class: "choices" }, h("legend", { class: "sr-only" }, "Theme"), ...radios),
    h("p", { class: "field-hint" }, "Follow the system uses the light or dark setting of this computer, and changes with it."),
    saved,
  );
}

/** Server address and clinic code of the sign-in form, checked by the client core. */
function signInPanel(o: SettingsOptions): HTMLElement {
  const server = field(textInput({ value: o.session?.server_url ?? DEFAULT_SERVER_URL, inputmode: "url" }), {
    id: "set-server-url",
    name: "server_url",
    label: "Server address",
    hint: "https://, or http:// for a server on this computer.",
    required: true,
  });
  const tenant = field(textInput({ value: o.session?.tenant ?? "", autocapitalize: "off" }), {
    id: "set-tenant",
    name: "tenant",
    label: "Clinic code",
    hint: "Given by the clinic's administrator, for example demo.",
    required: true,
  });
  const err = banner("set-signin-error");
  const saved = savedLine("set-signin-saved");
  const show = (s: SessionState | null) => {
    saved.textContent = s?.server_url
      ? `Sign-in starts with ${s.server_url}${s.tenant ? `, clinic ${s.tenant}` : ""}.${o.signedIn ? " A change applies at the next sign-in; you stay signed in to the current server." : ""}`
      : "";
  };
  show(o.session);
  const save = h("button", { type: "submit", class: "btn btn-primary", id: "set-signin-save", "data-testid": "set-signin-save" }, "Save sign-in settings");
  const form = h("form", { novalidate: true, class: "stack", "aria-labelledby": "set-signin-title" }, server.wrap, tenant.wrap, err, h("div", { class: "form-actions" }, save), saved);
  let busy = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    busy = true;
    save.disabled = true;
    try {
      // the client core checks both (the transport rule of this workstation, the clinic code
      // rule of crates/model) and answers the words for each field
      const s = await api.saveSignInDefaults(server.control.value, tenant.control.value);
      showFieldErrors([server, tenant], {}, err);
      server.control.value = s.server_url ?? server.control.value.trim();
      tenant.control.value = s.tenant ?? tenant.control.value.trim().toLowerCase();
      show(s);
      o.onSignInDefaults?.(server.control.value, tenant.control.value);
      o.toast(o.signedIn ? "Sign-in settings saved: they apply at the next sign-in." : "Sign-in settings saved.", "success");
    } catch (raw) {
      const ce = raw as CommandError;
      const f = showFieldErrors([server, tenant], ce.fields ?? {}, err);
      if (!ce.fields) setBanner(err, `Not saved: ${ce.message}`);
      (f ?? server).control.focus();
    } finally {
      busy = false;
      save.disabled = false;
    }
  });
  return h(
    "section",
    { class: "panel settings-panel", "aria-labelledby": "set-signin-title", "data-testid": "settings-signin" },
    h("h2", { id: "set-signin-title" }, "Sign-in"),
    form,
  );
}

/** Units of vital signs (shared with the vitals form). */
function unitsPanel(o: SettingsOptions): HTMLElement {
  const p = loadUnitPrefs(globalThis.localStorage);
  const opt = <T extends string>(...units: T[]) => units.map((u) => [u, unitLabel(u as never)] as [string, string]);
  const temperature = field(select(opt("C", "F"), p.temperature), { id: "set-unit-temperature", name: "temperature", label: "Temperature" });
  const weight = field(select(opt("kg", "lb"), p.weight), { id: "set-unit-weight", name: "weight", label: "Weight" });
  const height = field(select(opt("cm", "in"), p.height), { id: "set-unit-height", name: "height", label: "Height" });
  const err = banner("set-units-error");
  const saved = savedLine("set-units-saved");
  const show = () => {
    const q = loadUnitPrefs(globalThis.localStorage);
    saved.textContent = `Saved: ${unitLabel(q.temperature)}, ${unitLabel(q.weight)}, ${unitLabel(q.height)}.`;
  };
  show();
  const save = h("button", { type: "submit", class: "btn btn-primary", id: "set-units-save", "data-testid": "set-units-save" }, "Save units");
  const form = h(
    "form",
    { novalidate: true, class: "stack", "aria-labelledby": "set-units-title" },
    h("div", { class: "units-row" }, temperature.wrap, weight.wrap, height.wrap),
    err,
    h("div", { class: "form-actions" }, save),
    saved,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const r = checkUnits({ temperature: temperature.control.value, weight: weight.control.value, height: height.control.value });
    if (!r.ok) {
      const errors = Object.fromEntries(Object.entries(r.errors).map(([k, v]) => [k, [v]]));
      showFieldErrors([temperature, weight, height], errors, err)?.control.focus();
      return;
    }
    showFieldErrors([temperature, weight, height], {}, err);
    saveUnitPrefs(globalThis.localStorage, r.value);
    show();
    o.toast("Units saved: the vitals form and the chart use them.", "success");
  });
  return h(
    "section",
    { class: "panel settings-panel", "aria-labelledby": "set-units-title", "data-testid": "settings-units" },
    h("h2", { id: "set-units-title" }, "Units of vital signs"),
    h("p", { class: "field-hint" }, "Values are always stored in °C, kg and cm; these are the units typed and shown here."),
    form,
  );
}

/** The idle lock's minutes (ids kept from the former workstation dialog). */
function idlePanel(o: SettingsOptions): HTMLElement {
  const current = loadIdleMinutes(globalThis.localStorage);
  const minutes = field(textInput({ value: String(Math.round(current) || 1), inputmode: "numeric" }), {
    id: "ws-idle-minutes",
    name: "idle_minutes",
    label: "Lock the screen after this many minutes without input",
    hint: `1 to ${MAX_IDLE_MINUTES}. Ctrl+L locks at once.`,
    required: true,
  });
  const err = banner("ws-error");
  const saved = savedLine("set-idle-saved");
  const show = (n: number) => (saved.textContent = `Saved: ${n} minute${n === 1 ? "" : "s"}.`);
  show(Math.round(current) || 1);
  const save = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "ws-idle-save", id: "ws-idle-save" }, "Save");
  const form = h("form", { novalidate: true, class: "stack", "aria-labelledby": "set-idle-title" }, minutes.wrap, err, h("div", { class: "form-actions" }, save), saved);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const parsed = parseIdleMinutes(minutes.control.value);
    if ("error" in parsed) {
      showFieldErrors([minutes], { idle_minutes: [parsed.error] }, err);
      minutes.control.focus();
      return;
    }
    showFieldErrors([minutes], {}, err);
    saveIdleMinutes(globalThis.localStorage, parsed.minutes);
    show(parsed.minutes);
    o.toast(`The screen now locks after ${parsed.minutes} minute${parsed.minutes === 1 ? "" : "s"} without input.`, "success");
  });
  return h(
    "section",
    { class: "panel settings-panel", "aria-labelledby": "set-idle-title", "data-testid": "settings-idle" },
    h("h2", { id: "set-idle-title" }, "Idle lock"),
    form,
  );
}

/** Signing out with the clinic's data removed from this computer (asked first). */
function wipePanel(o: SettingsOptions, signedIn: NonNullable<SettingsOptions["signedIn"]>): HTMLElement {
  const wipe = h("button", { type: "button", class: "btn btn-danger", "data-testid": "ws-wipe", id: "ws-wipe" }, "Sign out and remove this clinic's data from this computer");
  wipe.addEventListener("click", () => void confirmWipe({ clinicName: signedIn.clinicName, onWiped: signedIn.onWiped, toast: o.toast }));
  return h(
    "section",
    { class: "panel settings-panel", "aria-labelledby": "set-wipe-title", "data-testid": "settings-wipe" },
    h("h2", { id: "set-wipe-title" }, "Leaving this computer"),
    h(
      "p",
      { class: "muted" },
      `Removes ${signedIn.clinicName}'s records, their key and everyone's offline sign-in from this computer. The clinic's server keeps everything it has received.`,
    ),
    h("div", { class: "form-actions" }, wipe),
  );
}

/** The settings panels, in the order of the screen. */
export function settingsPanels(o: SettingsOptions): HTMLElement[] {
  const panels = [themePanel(), signInPanel(o), unitsPanel(o)];
  if (o.signedIn) panels.push(idlePanel(o), wipePanel(o, o.signedIn));
  return panels;
}

/** The Settings screen in the shell. */
export function settingsScreen(ctx: Ctx, onWiped: () => void): Screen {
  const heading = h("h1", { id: "settings-title", tabindex: -1 }, "Settings");
  const body = h("div", { class: "settings-grid" });
  const el = h(
    "section",
    { class: "screen settings-screen", "data-testid": "settings-screen", "aria-labelledby": "settings-title" },
    h("div", { class: "screen-head" }, heading, h("p", { class: "muted small" }, "Remembered on this workstation.")),
    body,
  );
  const fill = (session: SessionState | null) =>
    body.replaceChildren(...settingsPanels({ session, signedIn: { clinicName: ctx.user.tenant.name, onWiped }, toast: ctx.toast }));
  void api
    .sessionState()
    .then(fill)
    .catch(() => fill(null));
  return { el, title: "Settings", focus: () => heading.focus() };
}

/** Settings from the sign-in page, in a dialog (theme, sign-in defaults, units). */
export function openLoginSettings(session: SessionState | null, toast: SettingsOptions["toast"], onSignInDefaults: (serverUrl: string, tenant: string) => void): void {
  const close = h("button", { type: "button", class: "btn", "data-testid": "login-settings-close" }, "Close");
  const m = openModal({
    title: "Settings of this workstation",
    testid: "login-settings-dialog",
    wide: true,
    content: [...settingsPanels({ session, signedIn: null, toast, onSignInDefaults }), h("div", { class: "form-actions" }, close)],
  });
  close.addEventListener("click", () => m.close());
  (m.el.querySelector<HTMLInputElement>("input[name=theme]:checked") ?? close).focus();
}
