// The scanner test page: shows each key the scanner sends, what the till reads from it, and
// whether the reading ends with Enter (the suffix the till needs). Nothing is recorded.

import { attachScanner } from "./scanner.js";
import { $, h, replace, signal } from "./ui.js";

const MAX_GAP_MS = JSON.parse(document.getElementById("scanner-config").textContent).scanMaxGapMs;
const MAX_ROWS = 60;
let burst = []; // key events of the burst in progress: {key, code, char, gap}
let silenceTimer = null;

/** GS1 check digit (EAN-8, UPC-A, EAN-13): true when the last digit matches. */
export function gs1Valid(code) {
  if (!/^\d+$/.test(code)) return false;
  const digits = [...code].map(Number);
  const check = digits.pop();
  const sum = digits.reverse().reduce((total, digit, index) => total + digit * (index % 2 === 0 ? 3 : 1), 0);
  return (10 - (sum % 10)) % 10 === check;
}

function kindOf(code) {
  const lengths = { 8: "EAN-8", 12: "UPC-A", 13: "EAN-13" };
  if (lengths[code.length] && /^\d+$/.test(code)) {
    return `${lengths[code.length]}${gs1Valid(code) ? " (clé de contrôle correcte)" : " (clé de contrôle FAUSSE)"}`;
  }
  return /^\d+$/.test(code) ? `${code.length} chiffres (code interne ou carte)` : "code alphanumérique";
}

function layoutOf(events) {
  const digitKeys = events.filter((event) => /^(Digit|Numpad)\d$/.test(event.code));
  if (!digitKeys.length) return "indéterminée (aucun chiffre)";
  const shifted = digitKeys.filter((event) => !/^\d$/.test(event.key));
  if (shifted.length) return `AZERTY : les chiffres arrivent comme « ${shifted.map((e) => e.key).join("")} », la caisse les lit par leur touche (correct)`;
  return "chiffres reçus tels quels (QWERTY ou pavé numérique)";
}

function verdict(kind, text) {
  const box = $("#scan-verdict");
  box.hidden = false;
  box.className = `notice notice-${kind}`;
  box.textContent = text;
}

function show(code, { suffix, meanGap, events }) {
  $("#scan-code").textContent = code;
  $("#scan-length").textContent = String(code.length);
  $("#scan-suffix").textContent = suffix;
  $("#scan-gap").textContent = `${meanGap.toFixed(1)} ms`;
  $("#scan-layout").textContent = layoutOf(events);
  $("#scan-kind").textContent = kindOf(code);
}

function addRow(event, info) {
  const body = $("#scan-keys");
  body.prepend(
    h(
      "tr",
      {},
      h("td", {}, h("code", {}, event.key)),
      h("td", {}, h("code", {}, event.code)),
      h("td.num", {}, info.gap === null ? "" : info.gap.toFixed(1)),
      h("td", {}, info.scan ? "⏎ fin de lecture" : info.char ?? ""),
    ),
  );
  while (body.children.length > MAX_ROWS) body.lastChild.remove();
}

attachScanner({
  maxGapMs: MAX_GAP_MS,
  onKey(event, info) {
    addRow(event, info);
    clearTimeout(silenceTimer);
    if (info.scan) return;
    if (info.char !== null && info.char !== undefined) {
      if (burst.length && info.gap > MAX_GAP_MS) burst = [];
      burst.push({ key: event.key, code: event.code, char: info.char, gap: info.gap ?? 0 });
      // A burst that stops without Enter: the scanner's suffix is missing or something else.
      silenceTimer = setTimeout(() => {
        if (burst.length >= 4) {
          const code = burst.map((item) => item.char).join("");
          const gaps = burst.slice(1).map((item) => item.gap);
          show(code, { suffix: "aucun", meanGap: gaps.reduce((a, b) => a + b, 0) / (gaps.length || 1), events: burst });
          signal("error");
          verdict("error", "La lecture ne se termine pas par Entrée : configurez le suffixe « Entrée / CR » du scanner (voir son manuel).");
        }
        burst = [];
      }, Math.max(400, MAX_GAP_MS * 2));
    } else if (event.key === "Tab" && burst.length >= 4) {
      const code = burst.map((item) => item.char).join("");
      show(code, { suffix: "Tab", meanGap: 0, events: burst });
      signal("error");
      verdict("error", "Le scanner termine par Tab : configurez le suffixe « Entrée / CR ».");
      event.preventDefault();
      burst = [];
    } else if (event.key === "Enter" && burst.length) {
      burst = []; // typed by hand: not a scan
    }
  },
  onScan(code, details) {
    show(code, { suffix: "Entrée ✓", meanGap: details.meanGapMs, events: burst });
    burst = [];
    signal("ok");
    verdict("ok", "Le scanner fonctionne avec la caisse : lecture rapide terminée par Entrée.");
  },
});

$("#scan-clear").addEventListener("click", () => {
  replace($("#scan-keys"));
  $("#scan-verdict").hidden = true;
});
document.body.dataset.ready = "1";
