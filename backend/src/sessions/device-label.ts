// "Chrome on Linux" for the sessions and remembered-devices lists, from the stored User-Agent.
// bowser (maintained, MIT) does the parsing: user agents are too irregular for a regex of ours.
import Bowser from "bowser";

export function describeDevice(userAgent: string | null): string {
  if (!userAgent?.trim()) return "Unknown device";
  let browser = "";
  let os = "";
  try {
    const parsed = Bowser.parse(userAgent);
    browser = parsed.browser.name ?? "";
    os = parsed.os.name ?? "";
  } catch {
    // bowser throws on input it cannot read at all; the label is informational only
  }
  if (browser && os) return `${browser} on ${os}`;
  return browser || os || "Unknown device";
}
