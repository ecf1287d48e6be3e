// Barcode scanners are keyboards: a scan is a burst of keys, a few milliseconds apart, ending
// with Enter. This module tells a scan from typing, reads digits from KeyboardEvent.code (so an
// AZERTY layout gives "3017…" and not "é&)…"), and swallows the trailing Enter so it can never
// submit a form or press a focused button. If the burst went into a text box, the box gets its
// previous value back: no box can swallow a scan.

const TERMINATORS = new Set(["Enter", "NumpadEnter"]);
const MODIFIERS = new Set(["Shift", "ShiftLeft", "ShiftRight", "CapsLock", "AltGraph"]);
const PUNCTUATION = { Minus: "-", NumpadSubtract: "-", Period: ".", NumpadDecimal: ".", Slash: "/", Space: " " };

/** The character a scanner meant by this key: digits by physical key, the rest as typed. */
export function charFromEvent(event) {
  const code = event.code || "";
  const digit = /^(?:Digit|Numpad)(\d)$/.exec(code);
  if (digit) return digit[1];
  if (event.key && event.key.length === 1) return event.key;
  if (code in PUNCTUATION) return PUNCTUATION[code];
  return null;
}

function isEditable(element) {
  if (!element) return false;
  if (element.isContentEditable) return true;
  if (element.tagName === "TEXTAREA") return true;
  return element.tagName === "INPUT" && !["button", "submit", "checkbox", "radio", "reset"].includes(element.type);
}

/**
 * Listens on `target` (capture phase, before any box or button sees the keys) and calls
 * `onScan(code, details)` for each burst ending with Enter. `onKey(event, info)` sees every key
 * (the scanner test page shows them). Returns a function that stops listening.
 */
export function attachScanner({
  target = window,
  onScan,
  onKey = null,
  maxGapMs = 50,
  minLength = 4,
  now = () => performance.now(),
} = {}) {
  let buffer = [];
  let gaps = [];
  let lastAt = 0;
  let origin = null; // {element, value, selectionStart, selectionEnd} when the burst began

  function reset() {
    buffer = [];
    gaps = [];
    origin = null;
  }

  function restoreOrigin() {
    if (!origin || !origin.element) return;
    const { element, value, selectionStart, selectionEnd } = origin;
    if (element.value !== value) {
      element.value = value;
      try {
        element.setSelectionRange(selectionStart, selectionEnd);
      } catch {
        /* inputs like type=number have no selection */
      }
    }
  }

  function onKeyDown(event) {
    const at = event.timeStamp > 0 ? event.timeStamp : now(); // when the key arrived, in performance.now() time
    const gap = buffer.length ? at - lastAt : null;
    const info = { at, gap, char: null, scan: null };
    if (event.ctrlKey || event.metaKey || (event.altKey && !event.getModifierState?.("AltGraph"))) {
      reset();
      if (onKey) onKey(event, info);
      return;
    }
    if (TERMINATORS.has(event.code) || (!event.code && event.key === "Enter")) {
      const fast = gap !== null && gap <= maxGapMs * 2;
      if (buffer.length >= minLength && fast) {
        // The trailing Enter of a scan: nobody else may act on it.
        event.preventDefault();
        event.stopImmediatePropagation();
        restoreOrigin();
        const code = buffer.join("");
        const allGaps = gaps.length ? gaps : [0];
        info.scan = {
          code,
          suffix: "Enter",
          meanGapMs: allGaps.reduce((a, b) => a + b, 0) / allGaps.length,
          maxGapMs: Math.max(...allGaps),
          startedAt: info.at - allGaps.reduce((a, b) => a + b, 0),
          endedAt: at,
        };
        reset();
        if (onKey) onKey(event, info);
        onScan(info.scan.code, info.scan);
        return;
      }
      reset();
      if (onKey) onKey(event, info);
      return;
    }
    if (MODIFIERS.has(event.key) || MODIFIERS.has(event.code)) {
      if (onKey) onKey(event, info);
      return; // Shift held by scanners that send upper case or shifted digits
    }
    const char = charFromEvent(event);
    info.char = char;
    if (char === null) {
      reset();
      if (onKey) onKey(event, info);
      return;
    }
    if (buffer.length && gap > maxGapMs) reset(); // too slow: a person typing, start again
    if (!buffer.length) {
      const element = document.activeElement;
      origin = isEditable(element)
        ? { element, value: element.value, selectionStart: element.selectionStart, selectionEnd: element.selectionEnd }
        : null;
    } else {
      gaps.push(gap);
    }
    buffer.push(char);
    lastAt = at;
    if (onKey) onKey(event, info);
  }

  target.addEventListener("keydown", onKeyDown, true);
  return () => target.removeEventListener("keydown", onKeyDown, true);
}
