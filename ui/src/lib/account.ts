// Rules of the account screens that need no server: the second-factor field at sign-in, the
// password rules (the server checks again and says which failed), recovery codes.

/** Minimum password length (`MIN_PASSWORD_LEN` in the model crate: NIST SP 800-63B asks 8, we ask 10). */
export const MIN_PASSWORD_LEN = 10;
/** Maximum password length (`MAX_PASSWORD_LEN` in the model crate). */
export const MAX_PASSWORD_LEN = 256;

/** What was typed in the second-factor field at sign-in. */
export type SecondFactor =
  | { ok: true; kind: "totp"; code: string }
  | { ok: true; kind: "recovery"; code: string }
  | { ok: false; error: string };

/**
 * Reads the code field at sign-in: six digits from the authenticator app (spaces allowed, as
 * apps show "123 456"), or a recovery code like `7kq2-m9xd` (case and the hyphen do not
 * matter; it is sent as `xxxx-xxxx` in lower case).
 */
export function parseSecondFactor(input: string): SecondFactor {
  const s = input.replace(/[\s]/g, "");
  if (s === "") return { ok: false, error: "is required: type the 6-digit code from your authenticator app, or a recovery code" };
  if (/^\d+$/.test(s)) {
    if (s.length === 6) return { ok: true, kind: "totp", code: s };
    return { ok: false, error: `must be 6 digits (you typed ${s.length})` };
  }
  const letters = s.replace(/-/g, "").toLowerCase();
  if (/^[a-z0-9]{8}$/.test(letters)) {
    return { ok: true, kind: "recovery", code: `${letters.slice(0, 4)}-${letters.slice(4)}` };
  }
  return { ok: false, error: "must be the 6-digit code from your authenticator app, or a recovery code like 7kq2-m9xd" };
}

/** Reads the confirmation code when setting up two-factor sign-in (only an app code will do). */
export function parseTotpCode(input: string): { ok: true; code: string } | { ok: false; error: string } {
  const f = parseSecondFactor(input);
  if (!f.ok) return f;
  if (f.kind !== "totp") return { ok: false, error: "must be the 6-digit code your authenticator app shows now" };
  return { ok: true, code: f.code };
}

/** The password form as typed. */
export interface PasswordForm {
  username: string;
  current: string;
  next: string;
  repeat: string;
}

/**
 * The password rules, checked before anything is sent; errors keyed by the server's field
 * names (`current_password`, `new_password`) and `repeat_password`. Same rules as the server
 * (`validate_new_password` in the model crate): length, not the username, not the current one.
 */
export function passwordRuleErrors(f: PasswordForm): Record<string, string[]> {
  const e: Record<string, string[]> = {};
  const add = (field: string, m: string) => (e[field] ??= []).push(m);
  if (f.current === "") add("current_password", "is required");
  const n = [...f.next].length;
  if (f.next === "") add("new_password", "is required");
  else if (n < MIN_PASSWORD_LEN) add("new_password", `must be at least ${MIN_PASSWORD_LEN} characters (it has ${n})`);
  else if (n > MAX_PASSWORD_LEN) add("new_password", `must be at most ${MAX_PASSWORD_LEN} characters`);
  if (f.next !== "" && f.username.trim() !== "" && f.next.trim().toLowerCase() === f.username.trim().toLowerCase())
    add("new_password", "must not be the username");
  if (f.next !== "" && f.current !== "" && f.next === f.current) add("new_password", "must differ from the current password");
  if (f.repeat === "") add("repeat_password", "is required: type the new password again");
  else if (f.next !== f.repeat) add("repeat_password", "does not match the new password");
  return e;
}

/** A hint of the rules, shown under the new-password field. */
export const PASSWORD_RULES_HINT = `At least ${MIN_PASSWORD_LEN} characters; not your username; not your current password. A few unrelated words make a good one.`;

/** The recovery codes as text to copy or print: one per line, with what they are for. */
export function recoveryCodesText(codes: readonly string[], who: string, clinic: string): string {
  return [
    `medoffice recovery codes for ${who} (${clinic})`,
    "Each code signs you in once instead of an authenticator code. Keep them somewhere safe.",
    "",
    ...codes.map((c, i) => `${String(i + 1).padStart(2, " ")}. ${c}`),
    "",
  ].join("\n");
}

/** The base32 secret in groups of four, easier to type into an app by hand. */
export function groupSecret(secret: string): string {
  return (secret.replace(/\s/g, "").match(/.{1,4}/g) ?? []).join(" ");
}
