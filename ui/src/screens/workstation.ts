// "This workstation": the idle lock's minutes, and signing out with this clinic's data removed
// from the computer (asked first, saying how many unsent changes would be lost).

import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import { h } from "../dom";
import { loadIdleMinutes, MAX_IDLE_MINUTES, parseIdleMinutes, saveIdleMinutes } from "../lib/idle";
import { banner, field, setBanner, showFieldErrors, textInput } from "../ui/forms";
import { openModal } from "../ui/modal";

/** The sentence of the wipe confirmation about unsent work. */
export function unsentText(n: number): string {
  if (n <= 0) return "Every change made here has reached the server.";
  return `${n} change${n === 1 ? "" : "s"} not yet sent to the server will be lost.`;
}

export interface WorkstationDialogOptions {
  clinicName: string;
  /** The clinic's data was removed and the person signed out. */
  onWiped(): void;
  toast(message: string, kind?: "info" | "success" | "error"): void;
}

export function openWorkstationDialog(o: WorkstationDialogOptions): void {
  const current = loadIdleMinutes(globalThis.localStorage);
  const minutes = field(textInput({ value: String(Math.round(current) || 1), inputmode: "numeric" }), {
    id: "ws-idle-minutes",
    name: "idle_minutes",
    label: "Lock the screen after this many minutes without input",
    hint: `1 to ${MAX_IDLE_MINUTES}. Ctrl+L locks at once.`,
    required: true,
  });
  const err = banner("ws-error");
  const save = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "ws-idle-save", id: "ws-idle-save" }, "Save");
  const form = h("form", { novalidate: true, class: "stack" }, minutes.wrap, err, h("div", { class: "form-actions" }, save));
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
    o.toast(`The screen now locks after ${parsed.minutes} minute${parsed.minutes === 1 ? "" : "s"} without input.`, "success");
    m.close();
  });
  const wipe = h(
    "button",
    { type: "button", class: "btn btn-danger", "data-testid": "ws-wipe", id: "ws-wipe" },
    "Sign out and remove this clinic's data from this computer",
  );
  wipe.addEventListener("click", () => {
    m.close();
    void confirmWipe(o);
  });
  const close = h("button", { type: "button", class: "btn", "data-testid": "ws-close" }, "Close");
  close.addEventListener("click", () => m.close());
  const m = openModal({
    title: "This workstation",
    testid: "workstation-dialog",
    content: [
      form,
      h("hr"),
      h("h3", null, "Leaving this computer"),
      h(
        "p",
        { class: "muted" },
        `Removes ${o.clinicName}'s records, their key and everyone's offline sign-in from this computer. The clinic's server keeps everything it has received.`,
      ),
      h("div", { class: "form-actions" }, wipe),
      h("div", { class: "form-actions" }, close),
    ],
  });
  minutes.control.focus();
  minutes.control.select();
}

async function confirmWipe(o: WorkstationDialogOptions): Promise<void> {
  let unsent: number;
  try {
    unsent = await api.unsentChanges();
  } catch (raw) {
    o.toast(`Cannot tell what is unsent: ${(raw as CommandError).message}`, "error");
    return;
  }
  const err = banner("wipe-error");
  const count = h("p", { "data-testid": "wipe-unsent", class: unsent > 0 ? "banner banner-error" : "muted" }, unsentText(unsent));
  const go = h(
    "button",
    { type: "button", class: "btn btn-danger", "data-testid": "wipe-confirm", id: "wipe-confirm" },
    unsent > 0 ? "Remove, losing the unsent changes" : "Remove and sign out",
  );
  const cancel = h("button", { type: "button", class: "btn", "data-testid": "wipe-cancel" }, "Cancel");
  cancel.addEventListener("click", () => m.close());
  let force = unsent > 0;
  go.addEventListener("click", async () => {
    go.disabled = true;
    try {
      await api.logout(true, force);
    } catch (raw) {
      const ce = raw as CommandError;
      // changes arrived since the count: say so, and let the person decide again
      setBanner(err, ce.message);
      if (ce.code === "conflict") {
        force = true;
        go.textContent = "Remove, losing the unsent changes";
      }
      go.disabled = false;
      return;
    }
    m.close();
    o.onWiped();
  });
  const m = openModal({
    title: `Remove ${o.clinicName}'s data from this computer?`,
    testid: "wipe-dialog",
    content: [
      h("p", null, "You will be signed out, and this clinic's records, their key and the offline sign-ins of its people are removed from this computer."),
      count,
      err,
      h("div", { class: "form-actions" }, cancel, go),
    ],
  });
  cancel.focus();
}
