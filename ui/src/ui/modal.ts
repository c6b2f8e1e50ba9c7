// A modal dialog drawn by us (the webview's own prompt/confirm are not reliable in Tauri):
// focus goes in, Tab stays in, Esc closes unless the dialog says otherwise.

import { h } from "../dom";

export interface Modal {
  el: HTMLDivElement;
  body: HTMLDivElement;
  close(): void;
}

let openModals = 0;

/** True while any modal is open (global shortcuts stand aside). */
export function modalOpen(): boolean {
  return openModals > 0;
}

export function openModal(o: {
  title: string;
  testid: string;
  content: Node | Node[];
  /** Esc closes (default true). */
  escCloses?: boolean;
  onClose?: () => void;
  wide?: boolean;
}): Modal {
  const titleId = `${o.testid}-title`;
  const body = h("div", { class: "modal-body" });
  const box = h(
    "div",
    {
      class: `modal ${o.wide ? "modal-wide" : ""}`,
      role: "dialog",
      "aria-modal": "true",
      "aria-labelledby": titleId,
      "data-testid": o.testid,
      id: o.testid,
    },
    h("h2", { id: titleId, class: "modal-title" }, o.title),
    body,
  );
  const overlay = h("div", { class: "modal-overlay" }, box);
  const previous = document.activeElement as HTMLElement | null;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    openModals -= 1;
    overlay.remove();
    o.onClose?.();
    if (previous && previous.isConnected) previous.focus();
  };
  if (Array.isArray(o.content)) body.append(...o.content);
  else body.append(o.content);
  overlay.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && o.escCloses !== false) {
      e.preventDefault();
      e.stopPropagation();
      close();
    } else if (e.key === "Tab") {
      const items = focusables(box);
      const first = items[0];
      const last = items[items.length - 1];
      if (!first || !last) return;
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
    e.stopPropagation();
  });
  overlay.addEventListener("mousedown", (e) => {
    if (e.target === overlay && o.escCloses !== false) close();
  });
  document.body.appendChild(overlay);
  openModals += 1;
  const first = focusables(body)[0] ?? focusables(box)[0];
  (first ?? box).focus();
  return { el: overlay, body, close };
}

function focusables(root: HTMLElement): HTMLElement[] {
  return [
    ...root.querySelectorAll<HTMLElement>(
      'input:not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), [href], [tabindex]:not([tabindex="-1"])',
    ),
  ].filter((el) => !el.hidden && el.offsetParent !== null);
}

/** How a toast reads: neutral, done, done but with something to look at, failed. */
export type ToastKind = "info" | "success" | "warn" | "error";

/**
 * Toasts: short confirmations, announced politely. One at a time (a new one replaces the last),
 * over the top bar's empty middle, never over a form's buttons, and clicks go through it.
 */
export function toastRegion(): { el: HTMLDivElement; show(msg: string, kind?: ToastKind, ms?: number): void } {
  const el = h("div", { class: "toasts", "aria-live": "polite", "data-testid": "toasts" });
  return {
    el,
    show(msg, kind = "info", ms) {
      const t = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, msg);
      // an error stays until it has been read (its own time), whatever follows it
      const error = el.querySelector(".toast-error:not(.leaving)");
      if (error && kind !== "error") el.replaceChildren(error, t);
      else el.replaceChildren(t);
      const stay = ms ?? (kind === "error" ? 7000 : 4000);
      setTimeout(() => t.classList.add("leaving"), stay);
      setTimeout(() => t.remove(), stay + 400);
    },
  };
}
