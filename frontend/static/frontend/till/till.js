// The till page: wires the scanner, the sale, the offline queue and the screens together.
// Everything a volunteer does is reachable with the scanner and the keyboard alone (F2 search,
// F4 pay, Ctrl+Z undo, F8 next household) and with large touch targets on a tablet.

import { attachScanner } from "./scanner.js";
import { Sale, formatMoney, formatQuantity, parseDecimal, toDecimalString } from "./sale.js";
import { Connection, Offline, Refused, SaleQueue, cache, cards, db } from "./offline.js";
import { $, $$, h, openDialog, replace, signal } from "./ui.js";

const config = JSON.parse(document.getElementById("till-config").textContent);
const url = (template, values = {}) =>
  Object.entries(values).reduce((text, [key, value]) => text.replace(`__${key}__`, encodeURIComponent(value)), template);

const state = {
  screen: "loading",
  till: null, // {id, name}
  session: null, // {id, opened_at}
  catalogue: normaliseCatalogue({}),
  sale: null,
  household: null,
  receipt: null,
  pendingCount: 0,
  conflicts: [],
  busy: false,
};
// Scan-to-line timings (ms), read by bench/till_bench.py.
window.tillMetrics = { scanToLine: [], scanToPaint: [] };

const connection = new Connection({ pingUrl: config.urls.ping, pingEveryMs: config.pingEveryMs || 3000 });
const queue = new SaleQueue({ connection, salesUrl: config.urls.sales, onChange: refreshQueueState });

// ---------------------------------------------------------------- catalogue snapshot

/** The snapshot of GET /api/v1/sites/{id}/catalogue/ in the shapes sale.js prices with. */
function normaliseCatalogue(raw) {
  const byBarcode = new Map();
  const byId = new Map();
  const products = [];
  const freeCategories = new Set((raw.categories || []).filter((c) => c.given_free).map((c) => c.id));
  for (const item of raw.products || []) {
    const product = {
      id: item.id,
      name: item.name,
      brand: item.brand || "",
      unit: item.unit || "piece",
      marketPrice: parseDecimal(item.market_price, 2),
      categoryId: item.category ?? null,
      givenFree: freeCategories.has(item.category),
      origin: item.origin || "", // not in the snapshot yet: origin rules apply on the server
      availableMilli: item.available == null ? null : parseDecimal(item.available, 3),
    };
    products.push(product);
    byId.set(product.id, product);
    for (const code of item.barcodes || []) byBarcode.set(String(code), product);
  }
  const pricing = {
    rules: (raw.pricing_rules || []).map((rule) => ({
      categoryId: rule.category ?? null,
      origin: rule.origin || "",
      ceiling: rule.kind === "ceiling",
      rateMilli: parseDecimal(rule.rate, 3),
    })),
    ceilings: Object.fromEntries(Object.entries(raw.origin_ceilings || {}).map(([origin, rate]) => [origin, parseDecimal(rate, 3)])),
  };
  return { version: raw.version ?? null, byBarcode, byId, products, pricing, raw };
}

async function loadCatalogue({ force = false } = {}) {
  if (!config.urls.catalogue) return; // no site: the page says so
  const cached = await cache.get("catalogue");
  if (cached && !state.catalogue.version) state.catalogue = normaliseCatalogue(cached.data);
  if (!connection.online && !force) return;
  try {
    const headers = cached?.etag && !force ? { "If-None-Match": cached.etag } : {};
    const answer = await connection.request("GET", config.urls.catalogue, undefined, { headers });
    if (answer.status === 304 && cached) return;
    const etag = answer.headers.get("ETag");
    await cache.set("catalogue", { etag, data: answer.data });
    state.catalogue = normaliseCatalogue(answer.data);
  } catch (error) {
    if (!(error instanceof Offline)) notice("error", `Catalogue indisponible : ${error.message}`);
  }
}

// ---------------------------------------------------------------- status bar and notices

function notice(kind, text) {
  const box = $("#notice");
  box.className = `notice notice-${kind}`;
  box.textContent = text;
  box.hidden = !text;
}

async function refreshQueueState() {
  await refreshPending();
  state.pendingCount = state.pendingEntries.length;
  state.conflicts = (await queue.conflicts()).filter((conflict) => !conflict.resolution);
  renderConnection();
}

function renderConnection() {
  const badge = $("#connection");
  const pending = state.pendingCount;
  const plural = pending > 1 ? "s" : "";
  if (!connection.online) {
    badge.className = "conn conn-offline";
    badge.textContent = `Hors ligne — ${pending} vente${plural} en attente`;
  } else if (pending) {
    badge.className = "conn conn-sync";
    badge.textContent = `En ligne — ${pending} vente${plural} à envoyer`;
  } else {
    badge.className = "conn conn-online";
    badge.textContent = "En ligne";
  }
  const conflictsButton = $("#conflicts-button");
  conflictsButton.hidden = state.conflicts.length === 0;
  conflictsButton.textContent = `${state.conflicts.length} vente${state.conflicts.length > 1 ? "s" : ""} refusée${
    state.conflicts.length > 1 ? "s" : ""
  } à régler`;
}

/** Sends the offline queue; tells the volunteer what was recorded and what was refused. */
async function replayQueue() {
  const result = await queue.replay();
  for (const { entry, sale } of result.sent) await rememberRemaining(entry.summary.card, sale?.remaining_allowance);
  if (result.sent.length) notice("ok", `${result.sent.length} vente(s) hors ligne enregistrée(s).`);
  if (result.refused.length) {
    signal("error");
    notice("error", `${result.refused.length} vente(s) hors ligne refusée(s) par le serveur : le responsable doit les régler.`);
  }
  return result;
}

connection.onChange(async (online) => {
  renderConnection();
  if (online) {
    await replayQueue();
    loadCatalogue();
  } else {
    notice("warn", "Connexion perdue : la caisse continue hors ligne, les ventes seront envoyées au retour du réseau.");
  }
});

// ---------------------------------------------------------------- screens

function show(screen) {
  state.screen = screen;
  for (const section of $$("[data-screen]")) section.hidden = section.dataset.screen !== screen;
  $("#close-session").hidden = !state.session;
  const label = state.till ? `${state.till.name}${state.session ? ` · session n° ${state.session.id}` : " · fermée"}` : "";
  $("#till-label").textContent = label;
}

function denominationInputs(prefix) {
  return h(
    "div.denominations",
    {},
    config.denominations.map((value) =>
      h(
        "label.denomination",
        {},
        h("span", {}, formatMoney(parseDecimal(value, 2))),
        h("input", {
          type: "number",
          min: "0",
          step: "1",
          inputmode: "numeric",
          name: `${prefix}-${value}`,
          "data-denomination": value,
          "aria-label": `Nombre de ${formatMoney(parseDecimal(value, 2))}`,
        }),
      ),
    ),
  );
}

function readCount(root) {
  const count = {};
  let total = 0;
  for (const input of $$("input[data-denomination]", root)) {
    const n = Number(input.value || 0);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(input.getAttribute("aria-label"));
    if (n) {
      count[input.dataset.denomination] = n;
      total += n * parseDecimal(input.dataset.denomination, 2);
    }
  }
  return { count, total };
}

function renderOpenScreen() {
  const form = $("#open-form");
  const select = $("#open-till");
  replace(select, config.tills.map((till) => h("option", { value: till.id }, till.name)));
  if (state.till) select.value = state.till.id;
  $("#open-submit").disabled = config.tills.length === 0; // the page says a till must be created
  const slot = $("#open-count");
  replace(slot, denominationInputs("open"));
  const total = $("#open-total");
  const update = () => {
    try {
      total.textContent = formatMoney(readCount(form).total);
    } catch {
      total.textContent = "—";
    }
  };
  form.oninput = update;
  update();
}

async function openSession(event) {
  event.preventDefault();
  const form = event.target;
  let counted;
  try {
    counted = readCount(form);
  } catch (error) {
    notice("error", `Comptage invalide : ${error.message}.`);
    return;
  }
  const tillId = Number($("#open-till").value);
  try {
    const { data } = await connection.request("POST", config.urls.sessions, { till: tillId, opening_count: counted.count });
    state.till = config.tills.find((till) => till.id === tillId) || { id: tillId, name: `Caisse ${tillId}` };
    state.session = { id: data.id, opened_at: data.opened_at };
    await cache.set("session", { till: state.till, session: state.session, saved_at: new Date().toISOString() });
    notice("ok", `Caisse ouverte avec un fond de ${formatMoney(counted.total)}.`);
    nextHousehold();
  } catch (error) {
    if (error instanceof Refused && error.code === "session_already_open") {
      // Opened meanwhile from another device (or before a reload): carry on with that session.
      try {
        const { data: till } = await connection.request("GET", url(config.urls.tillDetail, { id: tillId }));
        if (till.open_session) {
          state.till = config.tills.find((t) => t.id === tillId) || { id: tillId, name: till.name };
          state.session = { id: till.open_session };
          await cache.set("session", { till: state.till, session: state.session, saved_at: new Date().toISOString() });
          notice("info", "Cette caisse était déjà ouverte : la session en cours continue.");
          nextHousehold();
          return;
        }
      } catch {
        /* fall through to the message */
      }
    }
    notice("error", error instanceof Offline ? "Impossible d'ouvrir la caisse sans réseau." : error.message);
  }
}

// ---------------------------------------------------------------- the household

function pendingUsage(number) {
  return state.pendingEntries.filter((entry) => entry.summary.card === number).reduce((sum, entry) => sum + entry.summary.used, 0);
}

function householdFrom(lookup, { cachedAt = null } = {}) {
  const entitlement = lookup.entitlement;
  const allowance = lookup.allowance || {};
  const problems = [];
  const today = new Date().toISOString().slice(0, 10);
  if (!entitlement) problems.push("Aucun droit d'accès en cours pour ce foyer.");
  else {
    if (entitlement.status !== "active") problems.push(`Droit d'accès ${config.statusLabels[entitlement.status] || entitlement.status}.`);
    if (entitlement.end && entitlement.end < today) problems.push(`Droit d'accès terminé le ${frenchDate(entitlement.end)}.`);
    if (entitlement.start && entitlement.start > today) problems.push(`Droit d'accès valable à partir du ${frenchDate(entitlement.start)}.`);
    if (entitlement.sites?.length && !entitlement.sites.includes(config.site.id)) problems.push("Droit d'accès non valable dans cette épicerie.");
  }
  return {
    card: lookup.number,
    name: lookup.household?.display_name || "Foyer",
    persons: lookup.household?.persons,
    entitlement,
    basis: entitlement?.allowance_basis || "paid",
    rateMilli: parseDecimal(entitlement?.participation_rate ?? config.defaultRate, 3),
    allowanceCents: parseDecimal(allowance.allowance ?? entitlement?.monthly_allowance ?? "0", 2),
    remainingCents: parseDecimal(allowance.remaining ?? "0", 2) - pendingUsage(lookup.number),
    limits: (lookup.limits || []).map(normaliseLimit).filter(Boolean),
    problems,
    cachedAt,
  };
}

const PERIOD_LABELS = { month: "ce mois-ci", visit: "à ce passage" };

function normaliseLimit(raw) {
  const left = parseDecimal(raw.remaining ?? raw.left ?? "", 3);
  if (Number.isNaN(left)) return null;
  return {
    label: raw.label || raw.name || raw.product_name || raw.category_name || "Article limité",
    period: raw.period || "",
    leftMilli: left,
    max: raw.max_quantity ?? raw.quantity ?? raw.max ?? "",
    matches: (product) =>
      (raw.product != null && raw.product === product.id) || (raw.category != null && raw.category === product.category),
  };
}

function frenchDate(iso) {
  if (!iso) return "";
  const [y, m, d] = iso.slice(0, 10).split("-");
  return `${d}/${m}/${y}`;
}

async function identify(number) {
  number = number.replace(/\s+/g, "");
  let household = null;
  try {
    const { data } = await connection.request("GET", url(config.urls.card, { number }));
    await cards.put(number, data);
    await refreshPending();
    household = householdFrom(data);
  } catch (error) {
    if (error instanceof Refused) {
      signal("error");
      notice("error", error.code === "unknown_card" ? `Carte inconnue : ${number}.` : error.message);
      return;
    }
    if (!(error instanceof Offline)) throw error;
    const cached = await cards.get(number);
    if (!cached) {
      signal("error");
      notice("error", `Hors ligne : la carte ${number} n'est pas encore connue de cette caisse. Cherchez le foyer par son nom ou attendez le retour du réseau.`);
      return;
    }
    await refreshPending();
    household = householdFrom(cached.lookup, { cachedAt: cached.saved_at });
  }
  state.household = household;
  state.sale = new Sale(household, state.catalogue.pricing);
  if (household.problems.length) {
    signal("error");
    notice("error", household.problems.join(" "));
  } else {
    signal("ok");
    notice("", "");
  }
  show("sale");
  renderSale();
}

/** After a sale the server recorded, the cached household knows what is left of its month. */
async function rememberRemaining(number, remaining) {
  const cached = await cards.get(number);
  if (!cached || remaining == null) return;
  cached.lookup.allowance = { ...cached.lookup.allowance, remaining };
  await cards.put(number, cached.lookup);
}

async function refreshPending() {
  state.pendingEntries = await queue.pending();
}
state.pendingEntries = [];

function renderHousehold() {
  const box = $("#household");
  const household = state.household;
  if (!household) {
    box.className = "household household-empty";
    replace(box, h("p.big-hint", {}, "Scannez la carte du foyer"), h("p.muted", {}, "ou cherchez-le par son nom (F2)"));
    return;
  }
  const entitlement = household.entitlement;
  const allowance = state.sale.allowance();
  box.className = `household${household.problems.length ? " household-bad" : ""}`;
  replace(
    box,
    h(
      "div.household-id",
      {},
      h("h2#household-name", {}, household.name),
      h(
        "p.muted",
        {},
        `Carte ${household.card}`,
        household.persons ? ` · ${household.persons} personne${household.persons > 1 ? "s" : ""}` : "",
        entitlement?.end ? ` · droit valable jusqu'au ${frenchDate(entitlement.end)}` : "",
        household.cachedAt ? ` · données hors ligne du ${new Date(household.cachedAt).toLocaleString("fr-FR")}` : "",
      ),
      household.problems.length ? h("p.household-problem", {}, household.problems.join(" ")) : null,
      household.limits.length
        ? h(
            "ul.limits",
            {},
            household.limits.map((limit) =>
              h("li", {}, `${limit.label} : encore ${formatQuantity(limit.leftMilli, "piece")} ${PERIOD_LABELS[limit.period] || ""}`),
            ),
          )
        : null,
    ),
    h(
      "div.allowance",
      {},
      h("span.label", {}, household.basis === "market" ? "Reste (valeur marchande)" : "Reste à dépenser ce mois"),
      h("strong#remaining", { class: `remaining remaining-${allowance.state}` }, formatMoney(household.remainingCents)),
    ),
  );
}

// ---------------------------------------------------------------- the sale

function lineRow(line, price) {
  const weighed = line.product.unit !== "piece";
  return h(
    "tr",
    { dataset: { key: line.key, product: line.product.id } },
    h(
      "td.name",
      {},
      h("span.product-name", {}, line.product.name),
      line.product.brand ? h("small.muted", {}, ` ${line.product.brand}`) : null,
      line.product.givenFree ? h("span.badge.ok.free", {}, "gratuit") : null,
    ),
    h(
      "td.qty",
      {},
      h("input.qty-input", {
        type: "text",
        inputmode: "decimal",
        value: line.quantityMilli ? formatQuantity(line.quantityMilli, line.product.unit).replace(/ (kg|l)$/, "") : "",
        placeholder: weighed ? "poids" : "",
        "aria-label": weighed ? `Poids de ${line.product.name} (${line.product.unit})` : `Quantité de ${line.product.name}`,
        onchange: (event) => changeQuantity(line.key, event.target),
        onkeydown: (event) => {
          if (event.key === "Enter") {
            event.preventDefault();
            event.target.blur();
          }
        },
      }),
      weighed ? h("span.unit", {}, line.product.unit) : null,
    ),
    h("td.num.market", {}, formatMoney(price.marketValue)),
    h("td.num.paid", {}, formatMoney(price.paid)),
    h("td.num.saving", {}, formatMoney(price.saving)),
    h("td.remove", {}, h("button.remove-line", { type: "button", "aria-label": `Retirer ${line.product.name}`, onclick: () => removeLine(line.key) }, "✕")),
  );
}

/**
 * Draws the lines, touching only the rows that changed: a scan adds or updates one row, so the
 * time to show it does not grow with the length of the sale.
 */
function renderLines() {
  const body = $("#lines");
  const sale = state.sale;
  if (!sale || sale.isEmpty) {
    replace(body, h("tr.empty", {}, h("td", { colspan: "6" }, sale ? "Scannez les articles." : "")));
    return;
  }
  body.querySelector("tr.empty")?.remove();
  const existing = new Map([...body.children].map((row) => [row.dataset.key, row]));
  let previous = null;
  for (const line of sale.lines) {
    const price = sale.priced(line);
    const signature = `${line.quantityMilli}|${price.paid}|${price.marketValue}`;
    let row = existing.get(String(line.key));
    existing.delete(String(line.key));
    if (!row || row.dataset.signature !== signature) {
      const fresh = lineRow(line, price);
      fresh.dataset.signature = signature;
      if (row) row.replaceWith(fresh);
      row = fresh;
    }
    row.classList.toggle("last", line.key === sale.lastKey);
    const expectedPlace = previous ? previous.nextSibling : body.firstChild;
    if (expectedPlace !== row) body.insertBefore(row, expectedPlace);
    previous = row;
  }
  for (const row of existing.values()) row.remove();
  const last = sale.lastKey !== undefined ? body.querySelector(`tr[data-key="${sale.lastKey}"]`) : null;
  last?.scrollIntoView({ block: "nearest" });
}

function renderTotals() {
  const sale = state.sale;
  const totals = sale ? sale.totals() : { marketValue: 0, paid: 0, savings: 0 };
  $("#total-market").textContent = formatMoney(totals.marketValue);
  $("#total-paid").textContent = formatMoney(totals.paid);
  $("#total-savings").textContent = formatMoney(totals.savings);
  const warning = $("#allowance-warning");
  const payButton = $("#pay");
  if (!sale) {
    $("#remaining-after").textContent = "—";
    warning.hidden = true;
    payButton.disabled = true;
    return;
  }
  const allowance = sale.allowance();
  const after = $("#remaining-after");
  after.textContent = formatMoney(allowance.remainingAfter);
  after.className = `remaining remaining-${allowance.state}`;
  const limitProblems = sale.limitProblems();
  const messages = [];
  if (allowance.state === "over") {
    messages.push(`Dépassement du montant autorisé de ${formatMoney(allowance.over)} : retirez des articles avant le paiement.`);
  } else if (allowance.state === "near") {
    messages.push(`Attention : il ne restera que ${formatMoney(allowance.remainingAfter)} sur le montant autorisé.`);
  }
  for (const problem of limitProblems) {
    const period = PERIOD_LABELS[problem.limit.period] || "";
    messages.push(
      `Limite dépassée pour ${problem.limit.label} : ${formatQuantity(problem.left, "piece")} encore autorisé ${period}, ${formatQuantity(problem.wanted, "piece")} dans la vente.`,
    );
  }
  warning.hidden = messages.length === 0;
  warning.className = `allowance-warning ${allowance.state === "over" || limitProblems.length ? "bad" : "warn"}`;
  warning.textContent = messages.join(" ");
  // Over the allowance or a limit: only a manager may go on (with a reason), so the button says so.
  const blocked = (allowance.state === "over" || limitProblems.length > 0) && !config.user.canOverride;
  payButton.disabled = sale.isEmpty || sale.household.problems.length > 0 || blocked;
}

function renderSale() {
  renderHousehold();
  renderLines();
  renderTotals();
}

function measureScan(details) {
  if (!details?.endedAt) return;
  window.tillMetrics.scanToLine.push(performance.now() - details.endedAt);
  requestAnimationFrame(() => setTimeout(() => window.tillMetrics.scanToPaint.push(performance.now() - details.endedAt), 0));
}

function addProduct(product, details) {
  const before = state.sale.allowance().state;
  const limitsBefore = state.sale.limitProblems().length;
  const line = state.sale.add(product);
  renderSale();
  measureScan(details);
  const after = state.sale.allowance().state;
  const limitsAfter = state.sale.limitProblems().length;
  const wanted = state.sale.lines.filter((l) => l.product.id === product.id).reduce((sum, l) => sum + l.quantityMilli, 0);
  if (product.availableMilli !== null && wanted > product.availableMilli) {
    // The snapshot may be behind the shelf: warn, the server decides when the sale is recorded.
    signal("warn");
    notice("warn", `${product.name} : le stock enregistré est épuisé (${formatQuantity(product.availableMilli, product.unit)}). Vérifiez l'article avec le responsable.`);
  } else if (after === "over" || limitsAfter > limitsBefore) {
    signal("warn");
    notice("warn", after === "over" ? `${product.name} dépasse le montant autorisé du foyer.` : `${product.name} : limite atteinte pour ce foyer.`);
  } else {
    signal("ok");
    if (before !== "over") notice("", "");
  }
  if (product.unit !== "piece") {
    // Weighed goods: the volunteer types the weight next (a scan in that box is still caught).
    const input = $(`tr[data-key="${line.key}"] .qty-input`);
    input?.focus();
    notice("info", `Pesez ${product.name} et tapez le poids en ${product.unit}, puis Entrée.`);
  }
}

function changeQuantity(key, input) {
  const line = state.sale.line(key);
  if (!line) return;
  const value = parseDecimal(input.value, 3);
  try {
    state.sale.setQuantity(key, value);
    if (value === 0 && line.product.unit === "piece") state.sale.remove(key);
    notice("", "");
  } catch {
    signal("error");
    notice("error", line.product.unit === "piece" ? "Quantité invalide : un nombre entier d'articles." : "Poids invalide : par exemple 0,450.");
  }
  renderSale();
}

function removeLine(key) {
  state.sale?.remove(key);
  renderSale();
}

function undoLast() {
  if (!state.sale) return;
  const line = state.sale.undo();
  if (line) notice("info", `Annulé : ${line.product.name}.`);
  renderSale();
}

// Scans are handled one after the other, in the order they came: a product scanned while the
// card lookup is still on its way waits for it instead of being lost.
let scanChain = Promise.resolve();
function enqueueCode(code, details = null) {
  scanChain = scanChain.then(() => handleCode(code, details)).catch((error) => {
    signal("error");
    notice("error", `Erreur inattendue : ${error.message}`);
  });
  return scanChain;
}

async function handleCode(code, details = null) {
  if (state.busy) {
    signal("error");
    notice("error", "Patientez : le paiement est en cours d'enregistrement.");
    return;
  }
  if (document.querySelector("dialog[open]")) {
    signal("error");
    notice("error", "Terminez d'abord la fenêtre ouverte (Échap pour l'annuler).");
    return;
  }
  if (state.screen === "open" || state.screen === "loading") {
    signal("error");
    notice("error", "Ouvrez d'abord la caisse.");
    return;
  }
  if (state.screen === "receipt") nextHousehold();
  let product = state.catalogue.byBarcode.get(code);
  const looksLikeCard = new RegExp(config.cardPattern).test(code);
  if (!product && !looksLikeCard && connection.online) {
    await loadCatalogue(); // a product added since the snapshot?
    product = state.catalogue.byBarcode.get(code);
  }
  if (!product && looksLikeCard) {
    if (state.sale && !state.sale.isEmpty) {
      signal("error");
      notice("error", "Une vente est en cours : payez-la ou abandonnez-la (F8) avant de scanner une autre carte.");
      return;
    }
    await identify(code);
    return;
  }
  if (!product) {
    signal("error");
    notice("error", `Code-barres inconnu : ${code}. Mettez l'article de côté et prévenez le responsable.`);
    return;
  }
  if (!state.household) {
    signal("error");
    notice("error", "Scannez d'abord la carte du foyer.");
    return;
  }
  if (state.household.problems.length) {
    signal("error");
    notice("error", state.household.problems.join(" "));
    return;
  }
  addProduct(product, details);
}

// ---------------------------------------------------------------- payment and receipt

async function pay() {
  const sale = state.sale;
  if (!sale || sale.isEmpty || state.busy || document.querySelector("dialog[open]")) return;
  if (sale.household.problems.length) return;
  if (sale.linesAwaitingWeight().length) {
    signal("error");
    notice("error", `Poids manquant : ${sale.linesAwaitingWeight().map((line) => line.product.name).join(", ")}.`);
    return;
  }
  let overrideReason = "";
  const over = sale.allowance().state === "over" || sale.limitProblems().length > 0;
  if (over) {
    if (!config.user.canOverride) {
      signal("error");
      notice("error", "Le montant autorisé ou une limite serait dépassé : retirez des articles, ou appelez le responsable pour une dérogation.");
      return;
    }
    overrideReason = await askReason("Dérogation du responsable", "Motif de la dérogation");
    if (!overrideReason) return;
  }
  const total = sale.totals().paid;
  const payments = await askPayment(total);
  if (!payments) return;
  await submitSale(payments, overrideReason);
}

function askReason(title, label) {
  return openDialog({
    title,
    focus: "textarea",
    build: (close) =>
      h(
        "form.form",
        {
          onsubmit: (event) => {
            event.preventDefault();
            close(event.target.reason.value.trim());
          },
        },
        h("label", { for: "reason" }, label),
        h("textarea", { id: "reason", name: "reason", required: true, rows: "3" }),
        h("div.toolbar", {}, h("button.primary", { type: "submit" }, "Valider"), h("button", { type: "button", onclick: () => close("") }, "Annuler")),
      ),
  });
}

function askPayment(total) {
  // Letters, not digits: digits belong to the amount received.
  const methods = [
    ["cash", "Espèces", "E"],
    ["card", "Carte bancaire", "C"],
    ["cheque", "Chèque", "Q"],
  ];
  return openDialog({
    title: "Paiement",
    className: "payment",
    focus: total > 0 ? "#tendered" : "button[type=submit]",
    build: (close) => {
      const change = h("strong#change-due", {}, formatMoney(0));
      const tendered = h("input#tendered", {
        name: "tendered",
        type: "text",
        inputmode: "decimal",
        placeholder: toDecimalString(total, 2).replace(".", ","),
        autocomplete: "off",
        "aria-label": "Montant reçu en espèces",
      });
      const error = h("p.error", { role: "alert" });
      const form = h("form.form.payment-form", {});
      const method = () => form.querySelector("input[name=method]:checked")?.value || "cash";
      const update = () => {
        const isCash = method() === "cash";
        if (!isCash && document.activeElement === tendered) form.querySelector("button[type=submit]").focus();
        tendered.disabled = !isCash;
        tendered.closest(".cash-only").hidden = !isCash || total === 0;
        const amount = tendered.value ? parseDecimal(tendered.value, 2) : total;
        change.textContent = Number.isNaN(amount) ? "—" : formatMoney(Math.max(0, amount - total));
      };
      form.append(
        h("p.pay-total", {}, "À payer ", h("strong#pay-total", {}, formatMoney(total))),
        total > 0
          ? h(
              "fieldset.methods",
              {},
              h("legend", {}, "Moyen de paiement (touches E, C, Q)"),
              methods.map(([value, label, key], index) =>
                h("label.method", {}, h("input", { type: "radio", name: "method", value, checked: index === 0, onchange: update }), ` ${label} `, h("kbd", {}, key)),
              ),
            )
          : h("p", {}, "Rien à payer (produits gratuits)."),
        h("div.cash-only", {}, h("label", { for: "tendered" }, "Reçu en espèces"), tendered, h("p.change", {}, "Rendu : ", change)),
        error,
        h("div.toolbar", {}, h("button.primary.big", { type: "submit" }, "Valider le paiement (Entrée)"), h("button", { type: "button", onclick: () => close(null) }, "Annuler (Échap)")),
      );
      form.addEventListener("input", update);
      form.addEventListener("keydown", (event) => {
        const chosen = !event.ctrlKey && !event.altKey && methods.find(([, , key]) => key === event.key.toUpperCase());
        if (chosen) {
          form.querySelector(`input[value=${chosen[0]}]`).checked = true;
          update();
          event.preventDefault();
        }
      });
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        if (total === 0) return close([]);
        const chosen = method();
        const amount = chosen === "cash" && tendered.value ? parseDecimal(tendered.value, 2) : total;
        if (Number.isNaN(amount) || amount < total) {
          error.textContent = `Montant reçu insuffisant : il faut au moins ${formatMoney(total)}.`;
          signal("error");
          return;
        }
        close([{ method: chosen, amount }]);
      });
      queueMicrotask(update);
      return form;
    },
  });
}

async function submitSale(payments, overrideReason) {
  const sale = state.sale;
  const body = sale.toRequest({ session: state.session.id, payments, overrideReason });
  const totals = sale.totals();
  state.busy = true;
  $("#pay").disabled = true;
  try {
    const { data } = await connection.request("POST", config.urls.sales, body);
    await rememberRemaining(sale.household.card, data.remaining_allowance);
    signal("ok");
    showReceipt({ online: true, sale: data });
  } catch (error) {
    if (error instanceof Refused && (error.code === "session_closed" || error.code === "unknown_session")) {
      // Closed from elsewhere: the sale is kept on screen, the till must be opened again first.
      signal("error");
      state.session = null;
      await cache.set("session", { till: state.till, session: null, saved_at: new Date().toISOString() });
      notice("error", `${error.message} Ouvrez une nouvelle session, puis scannez à nouveau la carte.`);
      renderOpenScreen();
      show("open");
      return;
    }
    if (error instanceof Refused && error.status !== 401 && error.status !== 403) {
      signal("error");
      const line = Number.isInteger(error.body.line) ? sale.lines[error.body.line] : null;
      notice("error", `Vente refusée : ${error.message}${line ? ` (${line.product.name})` : ""}`);
      if (line) $(`tr[data-key="${line.key}"]`)?.classList.add("refused");
      return;
    }
    const signedOut = error instanceof Refused && (error.status === 401 || error.status === 403);
    if (!(error instanceof Offline) && !signedOut) throw error;
    // The server did not answer (or no longer knows who we are): the sale waits in the queue
    // with its UUID, sold now, and is sent once the till is back online and signed in.
    body.sold_at = new Date().toISOString();
    await queue.add({
      id: body.id,
      body,
      summary: {
        card: sale.household.card,
        household: sale.household.name,
        total: totals.paid,
        market: totals.marketValue,
        used: sale.allowanceUsed(),
      },
    });
    await refreshPending();
    signal("warn");
    showReceipt({ online: false, sale, payments, soldAt: body.sold_at });
    if (signedOut) {
      notice("error", "Votre connexion a expiré : reconnectez-vous (Déconnexion puis Connexion) ; la vente est gardée et sera envoyée ensuite.");
    }
  } finally {
    state.busy = false;
    renderTotals();
  }
}

function showReceipt(receipt) {
  state.receipt = receipt;
  if (receipt.online) notice("", "");
  const box = $("#receipt");
  if (receipt.online) {
    const data = receipt.sale;
    const receiptLink = config.urls.receipt ? url(config.urls.receipt, { id: data.id }) : null;
    replace(
      box,
      h("h2", {}, `Ticket n° ${data.receipt_number}`),
      h("p.muted", {}, data.household?.display_name || state.household.name, " · ", new Date(data.sold_at).toLocaleString("fr-FR")),
      receiptTable(
        data.lines.map((line) => ({
          name: line.name,
          quantity: formatQuantity(parseDecimal(line.quantity, 3), line.unit || "piece"),
          market: parseDecimal(line.line_market_value ?? line.market_price, 2),
          paid: parseDecimal(line.price_paid, 2),
          saving: parseDecimal(line.saving, 2),
        })),
        {
          market: parseDecimal(data.totals.market_value, 2),
          paid: parseDecimal(data.totals.paid, 2),
          savings: parseDecimal(data.totals.savings, 2),
        },
      ),
      h(
        "p.receipt-facts",
        {},
        h("span", {}, "Rendu : ", h("strong#receipt-change", {}, formatMoney(parseDecimal(data.change_due ?? "0", 2)))),
        data.remaining_allowance != null ? h("span", {}, "Reste ce mois : ", h("strong", {}, formatMoney(parseDecimal(data.remaining_allowance, 2)))) : null,
      ),
      receiptLink ? h("a.button#print-receipt", { href: receiptLink, target: "_blank", rel: "noopener" }, "Imprimer le ticket ", h("kbd", {}, "F9")) : null,
    );
  } else {
    const sale = receipt.sale;
    const totals = sale.totals();
    const tendered = receipt.payments[0]?.amount ?? totals.paid;
    replace(
      box,
      h("h2", {}, "Ticket provisoire (hors ligne)"),
      h("p.offline-note", {}, "La vente est gardée sur cette caisse et sera enregistrée dès le retour du réseau. Le ticket définitif pourra être réimprimé ensuite."),
      h("p.muted", {}, sale.household.name, " · ", new Date(receipt.soldAt).toLocaleString("fr-FR"), ` · réf. ${sale.id.slice(0, 8)}`),
      receiptTable(
        sale.lines.map((line) => {
          const price = sale.priced(line);
          return { name: line.product.name, quantity: formatQuantity(line.quantityMilli, line.product.unit), market: price.marketValue, paid: price.paid, saving: price.saving };
        }),
        { market: totals.marketValue, paid: totals.paid, savings: totals.savings },
      ),
      h("p.receipt-facts", {}, h("span", {}, "Rendu : ", h("strong#receipt-change", {}, formatMoney(Math.max(0, tendered - totals.paid))))),
    );
  }
  show("receipt");
  $("#next-household").focus();
}

function receiptTable(lines, totals) {
  return h(
    "table.receipt-lines",
    {},
    h("thead", {}, h("tr", {}, h("th", {}, "Article"), h("th", {}, "Qté"), h("th.num", {}, "Prix marché"), h("th.num", {}, "Payé"), h("th.num", {}, "Économie"))),
    h(
      "tbody",
      {},
      lines.map((line) => h("tr", {}, h("td", {}, line.name), h("td", {}, line.quantity), h("td.num", {}, formatMoney(line.market)), h("td.num", {}, formatMoney(line.paid)), h("td.num", {}, formatMoney(line.saving)))),
    ),
    h(
      "tfoot",
      {},
      h("tr", {}, h("th", { colspan: "2" }, "Total"), h("th.num", {}, formatMoney(totals.market)), h("th.num#receipt-paid", {}, formatMoney(totals.paid)), h("th.num", {}, formatMoney(totals.savings))),
    ),
  );
}

function nextHousehold() {
  if (state.screen === "receipt") notice("", "");
  state.sale = null;
  state.household = null;
  state.receipt = null;
  show("sale");
  renderSale();
}

async function cancelSale() {
  if (state.sale && !state.sale.isEmpty && !window.confirm("Abandonner la vente en cours ?")) return;
  nextHousehold();
  notice("", "");
}

// ---------------------------------------------------------------- search by name

async function searchHousehold() {
  if (document.querySelector("dialog[open]") || state.screen === "open") return;
  if (state.sale && !state.sale.isEmpty) {
    notice("error", "Terminez ou abandonnez d'abord la vente en cours (F8).");
    return;
  }
  const number = await openDialog({
    title: "Chercher un foyer",
    focus: "#search-query",
    build: (close) => {
      const results = h("ul.search-results", { role: "listbox" });
      let timer = null;
      const input = h("input#search-query", { type: "search", autocomplete: "off", placeholder: "Nom du foyer", "aria-label": "Nom du foyer" });
      const run = async () => {
        const query = input.value.trim();
        if (query.length < 2) return replace(results);
        const found = await findHouseholds(query);
        replace(
          results,
          found.length
            ? found.map((item, index) =>
                h("li", {}, h("button.result", { type: "button", "data-index": index, onclick: () => close(item.number) }, item.name, h("small.muted", {}, ` carte ${item.number}`))),
              )
            : h("li.muted", {}, "Aucun foyer trouvé."),
        );
      };
      input.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(run, 250);
      });
      const form = h(
        "form.form",
        {
          onsubmit: async (event) => {
            event.preventDefault();
            await run();
            results.querySelector("button.result")?.focus();
          },
          onkeydown: (event) => {
            const buttons = $$("button.result", results);
            const index = buttons.indexOf(document.activeElement);
            if (event.key === "ArrowDown" && buttons.length) {
              buttons[Math.min(buttons.length - 1, index + 1)].focus();
              event.preventDefault();
            } else if (event.key === "ArrowUp" && index > 0) {
              buttons[index - 1].focus();
              event.preventDefault();
            }
          },
        },
        input,
        results,
        h("div.toolbar", {}, h("button", { type: "button", onclick: () => close(null) }, "Annuler (Échap)")),
      );
      return form;
    },
  });
  if (number) await identify(number);
}

async function findHouseholds(query) {
  if (config.urls.cardSearch && connection.online) {
    try {
      const { data } = await connection.request("GET", `${config.urls.cardSearch}${encodeURIComponent(query)}`);
      return (data.results || data).map((item) => ({ number: item.number, name: item.display_name || item.household?.display_name }));
    } catch (error) {
      if (!(error instanceof Offline)) return [];
    }
  }
  const needle = query.toLocaleLowerCase("fr");
  return (await db.all("cards"))
    .filter((record) => (record.lookup.household?.display_name || "").toLocaleLowerCase("fr").includes(needle))
    .map((record) => ({ number: record.number, name: record.lookup.household.display_name }));
}

// ---------------------------------------------------------------- closing and conflicts

async function closeSession() {
  if (!state.session || document.querySelector("dialog[open]")) return;
  if (state.sale && !state.sale.isEmpty) {
    signal("error");
    notice("error", "Une vente est en cours : terminez-la ou abandonnez-la avant de fermer la caisse.");
    return;
  }
  if (connection.online && (await queue.count())) await replayQueue();
  const pending = await queue.count();
  if (pending) {
    signal("error");
    notice("error", `Fermeture impossible : ${pending} vente${pending > 1 ? "s" : ""} hors ligne en attente d'envoi. Attendez le retour du réseau.`);
    return;
  }
  const counted = await openDialog({
    title: "Fermer la caisse",
    className: "close",
    build: (close) => {
      const total = h("strong#close-total", {}, formatMoney(0));
      const form = h(
        "form.form",
        {
          onsubmit: (event) => {
            event.preventDefault();
            try {
              close(readCount(form));
            } catch (error) {
              notice("error", `Comptage invalide : ${error.message}.`);
            }
          },
          oninput: () => {
            try {
              total.textContent = formatMoney(readCount(form).total);
            } catch {
              total.textContent = "—";
            }
          },
        },
        h("p", {}, "Comptez la caisse par valeur de billet et de pièce."),
        state.conflicts.length ? h("p.error", {}, `${state.conflicts.length} vente(s) refusée(s) restent à régler par le responsable.`) : null,
        denominationInputs("close"),
        h("p.count-total", {}, "Total compté : ", total),
        h("div.toolbar", {}, h("button.primary.big", { type: "submit" }, "Fermer et imprimer le Z"), h("button", { type: "button", onclick: () => close(null) }, "Annuler")),
      );
      return form;
    },
  });
  if (!counted) return;
  try {
    const pendingNow = await queue.count();
    await connection.request("POST", url(config.urls.close, { id: state.session.id }), {
      closing_count: counted.count,
      pending_offline_sales: pendingNow,
    });
    const { data } = await connection.request("GET", url(config.urls.zreport, { id: state.session.id }));
    const closedSession = state.session;
    state.session = null;
    await cache.set("session", { till: state.till, session: null, saved_at: new Date().toISOString() });
    notice("ok", "Caisse fermée.");
    showZReport(closedSession, data);
  } catch (error) {
    signal("error");
    notice("error", error instanceof Offline ? "Fermeture impossible sans réseau." : `Fermeture refusée : ${error.message}`);
  }
}

function zRows(report) {
  const money = (value) => (value == null ? "—" : formatMoney(parseDecimal(value, 2)));
  const when = (value) => (value ? new Date(value).toLocaleString("fr-FR") : "—");
  const cash = report.cash || {};
  const refunds = report.refunds || {};
  const payments = report.payments || {};
  return [
    ["Caisse", `${report.site?.name || ""} · ${report.till?.name || ""}`],
    ["Ouverture", `${when(report.opened_at)} par ${report.opened_by || "—"}`],
    ["Fermeture", `${when(report.closed_at)} par ${report.closed_by || "—"}`],
    ["Ventes", `${report.sales_count ?? 0} (tickets ${report.receipts?.first ?? "—"} à ${report.receipts?.last ?? "—"})`],
    ["Foyers servis", report.households ?? 0],
    ["Valeur marchande", money(report.market_value)],
    ["Payé par les foyers", money(report.paid)],
    ["Économies des foyers", money(report.savings)],
    ["Dont produits gratuits (valeur)", money(report.free_market_value)],
    ...Object.entries(payments).map(([method, amount]) => [`Paiements · ${config.methodLabels[method] || method}`, money(amount)]),
    ["Rendu de monnaie", money(report.change_given)],
    ["Remboursements", `${refunds.count ?? 0} · ${money(refunds.amount)}`],
    ["Fond de caisse", money(cash.opening)],
    ["Espèces attendues", money(cash.expected)],
    ["Espèces comptées", money(cash.counted)],
    ["Écart", money(cash.difference)],
  ];
}

function showZReport(session, report) {
  const box = $("#zreport");
  const printable = config.urls.zReportPage ? url(config.urls.zReportPage, { id: session.id }) : null;
  replace(
    box,
    h("h2", {}, `Rapport Z — session n° ${session.id}`),
    h("table.zreport", {}, h("tbody", {}, zRows(report).map(([label, value]) => h("tr", {}, h("th", {}, label), h("td.num", {}, String(value)))))),
    h(
      "div.toolbar.no-print",
      {},
      printable ? h("a.button.primary#print-z", { href: printable, target: "_blank", rel: "noopener" }, "Imprimer le rapport Z") : null,
      h("button#z-done", { type: "button", onclick: () => { renderOpenScreen(); show("open"); } }, "Terminer"),
    ),
  );
  show("zreport");
}

async function showConflicts() {
  const all = await queue.conflicts();
  await openDialog({
    title: "Ventes hors ligne refusées",
    className: "conflicts-dialog",
    build: (close) =>
      h(
        "div",
        {},
        config.user.canOverride
          ? h("p", {}, "Le serveur a refusé ces ventes faites hors ligne. Elles restent ici jusqu'à ce que vous les régliez.")
          : h("p.error", {}, "Appelez le responsable de l'épicerie pour régler ces ventes. Elles restent gardées sur cette caisse."),
        h(
          "ul.conflict-list",
          {},
          all.map((conflict) =>
            h(
              "li.conflict",
              { dataset: { id: conflict.id } },
              h("strong", {}, conflict.summary.household),
              ` · ${formatMoney(conflict.summary.total)} · vendue le ${new Date(conflict.body.sold_at).toLocaleString("fr-FR")}`,
              h("p.error", {}, conflict.error?.detail || "Refusée", conflict.error?.code ? ` (${conflict.error.code})` : ""),
              conflict.resolution
                ? h("p.muted", {}, `Réglée : ${conflict.resolution.kind === "recorded" ? `enregistrée (ticket ${conflict.resolution.receipt_number})` : conflict.resolution.note}`)
                : config.user.canOverride
                  ? h(
                      "div.toolbar",
                      {},
                      h("button", { type: "button", onclick: async () => { close(); await retryConflict(conflict.id, {}); } }, "Renvoyer"),
                      h("button", { type: "button", onclick: async () => { close(); const reason = await askReason("Dérogation", "Motif de la dérogation"); if (reason) await retryConflict(conflict.id, { override_reason: reason }); } }, "Renvoyer avec dérogation"),
                      h("button", { type: "button", onclick: async () => { close(); const note = await askReason("Classer la vente", "Ce qui a été fait (ex. articles rendus, remboursé)"); if (note) await queue.resolve(conflict.id, { kind: "settled", note, by: config.user.name }); } }, "Classer"),
                    )
                  : null,
            ),
          ),
        ),
        h("div.toolbar", {}, h("button", { type: "button", onclick: () => close() }, "Fermer")),
      ),
  });
}

async function retryConflict(id, changes) {
  const result = await queue.retryConflict(id, changes);
  if (result?.ok) {
    signal("ok");
    notice("ok", `Vente enregistrée (ticket n° ${result.sale.receipt_number}).`);
  } else {
    signal("error");
    notice("error", `Toujours refusée : ${result?.error?.message || "erreur"}`);
  }
}

// ---------------------------------------------------------------- keyboard and start

function onShortcut(event) {
  if (event.defaultPrevented) return;
  const inField = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName);
  if (document.querySelector("dialog[open]")) return;
  if (event.key === "F2") {
    event.preventDefault();
    searchHousehold();
  } else if (event.key === "F4") {
    event.preventDefault();
    if (state.screen === "sale") pay();
  } else if (event.key === "F8") {
    event.preventDefault();
    if (state.screen === "receipt") nextHousehold();
    else if (state.screen === "sale") cancelSale();
  } else if (event.key === "F9" && state.screen === "receipt") {
    event.preventDefault();
    $("#print-receipt")?.click();
  } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z" && !inField) {
    event.preventDefault();
    undoLast();
  }
}

async function start() {
  attachScanner({ onScan: (code, details) => enqueueCode(code, details), maxGapMs: config.scanMaxGapMs || 60 });
  window.addEventListener("keydown", onShortcut);
  $("#open-form").addEventListener("submit", openSession);
  $("#manual-code").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = event.target.code;
    const code = input.value.trim();
    input.value = "";
    input.blur();
    if (code) enqueueCode(code);
  });
  $("#pay").addEventListener("click", pay);
  $("#undo").addEventListener("click", undoLast);
  $("#cancel-sale").addEventListener("click", cancelSale);
  $("#search-household").addEventListener("click", searchHousehold);
  $("#next-household").addEventListener("click", nextHousehold);
  $("#close-session").addEventListener("click", closeSession);
  $("#conflicts-button").addEventListener("click", showConflicts);

  const tillId = Number(localStorage.getItem("epicerie.till")) || null;
  const open = config.tills.find((till) => till.open_session && (!tillId || till.id === tillId)) || config.tills.find((till) => till.open_session);
  state.till = open || config.tills.find((till) => till.id === tillId) || config.tills[0] || null;
  if (open) state.session = open.open_session;
  // A page served by the service worker while offline may be older than what this till did
  // since: the session it opened or closed last, kept in IndexedDB, is then the newer truth.
  const remembered = await cache.get("session");
  if (remembered?.saved_at && Date.parse(remembered.saved_at) > Date.parse(config.renderedAt)) {
    state.till = remembered.till || state.till;
    state.session = remembered.session;
  }
  if (config.urls.serviceWorker && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.urls.serviceWorker, { scope: config.urls.till }).catch(() => {});
  }
  $("#open-till").addEventListener("change", (event) => localStorage.setItem("epicerie.till", event.target.value));

  await loadCatalogue();
  await refreshPending();
  await refreshQueueState();
  if (state.session) nextHousehold();
  else {
    renderOpenScreen();
    show("open");
  }
  if (state.pendingCount && connection.online) replayQueue();
  // Sales still queued while the server answers (e.g. signed in again in another tab): retry now and then.
  setInterval(() => {
    if (connection.online && state.pendingCount) replayQueue();
  }, 30_000);
  document.body.dataset.ready = "1";
}

start();
