// Small DOM helpers of the till: building elements, the beep and flash that answer every scan
// (distinct for errors), and the modal dialogs.

/** h("td.num#total", {title: "x"}, "text", child…): an element with its id, classes,
 * attributes (on* are listeners) and children. */
export function h(tag, attributes = {}, ...children) {
  const name = /^[a-z0-9]+/.exec(tag)[0];
  const element = document.createElement(name);
  for (const [, kind, value] of tag.slice(name.length).matchAll(/([#.])([\w-]+)/g)) {
    if (kind === "#") element.id = value;
    else element.classList.add(value);
  }
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(key, "");
    else element.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

export function replace(element, ...children) {
  element.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

let audio = null;
function tone(frequency, startAt, duration, type = "sine") {
  const oscillator = audio.createOscillator();
  const gain = audio.createGain();
  oscillator.type = type;
  oscillator.frequency.value = frequency;
  gain.gain.setValueAtTime(0.0001, startAt);
  gain.gain.exponentialRampToValueAtTime(0.25, startAt + 0.01);
  gain.gain.exponentialRampToValueAtTime(0.0001, startAt + duration);
  oscillator.connect(gain).connect(audio.destination);
  oscillator.start(startAt);
  oscillator.stop(startAt + duration + 0.02);
}

/**
 * Answers a scan: "ok" a short high beep and a green flash; "warn" two mid beeps and an amber
 * flash; "error" a low buzz and a red flash. The last signal is kept on <body data-signal> so the
 * volunteer (and the tests) can tell them apart even with the sound off.
 */
export function signal(kind) {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const t = audio.currentTime;
    if (kind === "ok") tone(1320, t, 0.08);
    else if (kind === "warn") {
      tone(660, t, 0.09);
      tone(660, t + 0.14, 0.09);
    } else tone(180, t, 0.35, "square");
  } catch {
    /* no audio device: the flash is enough */
  }
  const body = document.body;
  body.dataset.signal = kind;
  body.dataset.signalCount = String(Number(body.dataset.signalCount || 0) + 1);
  const flash = document.getElementById("flash");
  if (flash) {
    flash.className = `flash flash-${kind}`;
    void flash.offsetWidth; // restart the animation
    flash.classList.add("on");
  }
}

/**
 * Opens a modal <dialog> built by `build(close)`; resolves with what `close(value)` is given
 * (undefined on Escape). Focus moves into the dialog, as a person just asked for it.
 */
export function openDialog({ title, className = "", build, focus = null }) {
  return new Promise((resolve) => {
    const dialog = h(`dialog.till-dialog${className ? `.${className}` : ""}`, { "aria-label": title });
    let settled = false;
    const close = (value) => {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    dialog.append(h("h2", {}, title), build(close));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(undefined);
    });
    document.body.append(dialog);
    dialog.showModal();
    const target = focus ? dialog.querySelector(focus) : null;
    if (target) target.focus();
  });
}
