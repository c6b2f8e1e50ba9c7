// A confirmation dialog for the admin screens: says what will happen, focuses "Cancel".

import { h } from "../dom";
import { openModal } from "./modal";

/** Asks before an action with consequences; resolves true when confirmed. */
export function confirmAction(o: { title: string; text: string | Node[]; confirmLabel: string; testid: string; danger?: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    let answered = false;
    const done = (yes: boolean) => {
      if (answered) return;
      answered = true;
      m.close();
      resolve(yes);
    };
    const no = h("button", { type: "button", class: "btn", "data-testid": `${o.testid}-cancel`, onclick: () => done(false) }, "Cancel");
    const yes = h("button", { type: "button", class: `btn ${o.danger ? "btn-danger" : "btn-primary"}`, "data-testid": `${o.testid}-confirm`, onclick: () => done(true) }, o.confirmLabel);
    const m = openModal({
      title: o.title,
      testid: o.testid,
      content: [h("div", { class: "confirm-text", "data-testid": `${o.testid}-text` }, typeof o.text === "string" ? h("p", null, o.text) : o.text), h("div", { class: "form-actions" }, no, yes)],
      onClose: () => {
        if (!answered) {
          answered = true;
          resolve(false);
        }
      },
    });
    no.focus();
  });
}

/** A dialog that shows something once (a temporary password) until the person closes it. */
export function showOnce(o: { title: string; testid: string; content: Node[]; closeLabel?: string }): void {
  const close = h("button", { type: "button", class: "btn btn-primary", "data-testid": `${o.testid}-close` }, o.closeLabel ?? "Done");
  const m = openModal({ title: o.title, testid: o.testid, content: [...o.content, h("div", { class: "form-actions" }, close)], escCloses: false });
  close.addEventListener("click", () => m.close());
}
