// Signing out with this clinic's data removed from the computer (asked first, saying how many
// unsent changes would be lost). Offered on the Settings screen.

import { api } from "../api";
import type { CommandError } from "../bindings/CommandError";
import { h } from "../dom";
import { banner, setBanner } from "../ui/forms";
import { openModal } from "../ui/modal";

/** The sentence of the wipe confirmation about unsent work. */
export function unsentText(n: number): string {
  if (n <= 0) return "Every change made here has reached the server.";
  return `${n} change${n === 1 ? "" : "s"} not yet sent to the server will be lost.`;
}

/** What the wipe confirmation needs. */
export interface WipeOptions {
  clinicName: string;
  /** The clinic's data was removed and the person signed out. */
  onWiped(): void;
  toast(message: string, kind?: "info" | "success" | "error"): void;
}

/**
 * Asks before signing out with this clinic's data removed from the computer, saying how many
 * unsent changes would be lost; changes arriving meanwhile are said and asked about again.
 */
export async function confirmWipe(o: WipeOptions): Promise<void> {
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
