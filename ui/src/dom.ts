// A few lines of DOM building, so screens read like the markup they make.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** Creates an element: `h("button", { type: "button", onclick: fn, "data-testid": "x" }, "Save")`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") {
        el.addEventListener(k.slice(2), v);
      } else if (k === "class") {
        el.className = String(v);
      } else if (k === "value" && "value" in el) {
        (el as HTMLInputElement).value = String(v);
      } else if (k === "checked" && "checked" in el) {
        (el as HTMLInputElement).checked = Boolean(v);
      } else if (v === true) {
        el.setAttribute(k, "");
      } else {
        el.setAttribute(k, String(v));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el: Node, children: (Child | Child[])[]): void {
  for (const c of children) {
    if (Array.isArray(c)) append(el, c);
    else if (c === null || c === undefined || c === false) continue;
    else el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

/** The element with `id`, typed; throws when missing (a programming error). */
export function byId<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T {
  const el = root.querySelector<T>(`#${CSS.escape(id)}`);
  if (!el) throw new Error(`missing #${id}`);
  return el;
}

/**
 * Like {@link replace}, but the keyboard focus stays on the same control when it was inside
 * `el`: found again by its row's `rowAttr` value (e.g. `data-appointment-id`) and its own
 * `data-testid`. Live refreshes re-render lists under a person's keyboard; without this the
 * focus falls to the page and the next key lands on a screen shortcut.
 */
export function replaceKeepingFocus(el: Element, rowAttr: string, ...children: (Child | Child[])[]): void {
  const active = document.activeElement;
  const row = active && el.contains(active) ? active.closest(`[${rowAttr}]`) : null;
  const key = row?.getAttribute(rowAttr);
  const testid = active?.getAttribute("data-testid");
  replace(el, ...children);
  if (!key || !testid) return;
  const sameRow = el.querySelector<HTMLElement>(`[${rowAttr}="${CSS.escape(key)}"]`);
  // the same control, or (when it is gone, e.g. "Check in" became "Start") the row's first one
  const again =
    sameRow?.querySelector<HTMLElement>(`[data-testid="${CSS.escape(testid)}"]`) ??
    sameRow?.querySelector<HTMLElement>("button:not([disabled]), a[href], [tabindex='0']");
  again?.focus();
}
