/**
 * NATS subject rules for subjects this node publishes to. A subject reaches a PUB line as text, so a
 * space, tab, CR or LF in it would split the line (the rest of the subject is then read as protocol:
 * `x 0\r\n\r\nPUB victim 5\r\nHACKS\r\n…` publishes HACKS on `victim`), and nats-server closes a
 * connection whose PUB line does not parse.
 */

/**
 * Longest subject published (UTF-16 units). nats-server's default max_control_line is 4096 bytes; this
 * leaves room for `PUB`, a reply subject and the size even when every character takes three UTF-8 bytes.
 */
export const MAX_SUBJECT_LENGTH = 1024;

/**
 * True when `subject` may be published to: 1..MAX_SUBJECT_LENGTH characters, no whitespace or control
 * characters, no empty tokens (`a..b`, leading or trailing `.`), and no wildcard tokens (`*`, `>`), which
 * a publish may not carry.
 */
export function isPublishableSubject(subject: string): boolean {
  const length = subject.length;
  if (length === 0 || length > MAX_SUBJECT_LENGTH) return false;
  let tokenStart = 0;
  for (let i = 0; i <= length; i++) {
    const code = i < length ? subject.charCodeAt(i) : 0x2e;
    if (code === 0x2e) {
      const tokenLength = i - tokenStart;
      if (tokenLength === 0) return false;
      if (tokenLength === 1) {
        const only = subject.charCodeAt(tokenStart);
        if (only === 0x2a || only === 0x3e) return false;
      }
      tokenStart = i + 1;
    } else if (code <= 0x20 || code === 0x7f) {
      return false;
    }
  }
  return true;
}
