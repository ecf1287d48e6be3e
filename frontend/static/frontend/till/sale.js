// The sale being rung up: its lines, totals and the allowance check, computed in the browser
// from the catalogue snapshot so the volunteer sees prices at once (and offline). The server
// recomputes everything when the sale is recorded and remains the authority.
//
// Money is held in integer cents and quantities in thousandths, never in floating point.

/** "2.35" -> 235 (places=2); "0.450" -> 450 (places=3). Accepts a comma. NaN when unreadable. */
export function parseDecimal(value, places) {
  const text = String(value ?? "").trim().replace(",", ".");
  const match = /^(-)?(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (!match[2] && !match[3])) return NaN;
  const fraction = (match[3] || "").padEnd(places + 1, "0");
  let scaled = Number(match[2] || "0") * 10 ** places + Number(fraction.slice(0, places) || "0");
  if (Number(fraction[places]) >= 5) scaled += 1; // half up on the first dropped digit
  return match[1] ? -scaled : scaled;
}

/** 235 -> "2.35": the wire format of the API's decimals. */
export function toDecimalString(scaled, places) {
  const sign = scaled < 0 ? "-" : "";
  const abs = Math.abs(scaled);
  const unit = 10 ** places;
  return `${sign}${Math.floor(abs / unit)}.${String(abs % unit).padStart(places, "0")}`;
}

const euro = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });
export function formatMoney(cents) {
  return euro.format(cents / 100);
}

const UNIT_LABELS = { piece: "", kg: " kg", l: " l" };
export function formatQuantity(milli, unit) {
  if (unit === "piece") return String(milli / 1000).replace(".", ",");
  return `${(milli / 1000).toLocaleString("fr-FR", { minimumFractionDigits: 3 })}${UNIT_LABELS[unit] || ""}`;
}

/** a × b / divisor rounded half up (positive values): the one rounding rule of the page. */
export function mulDivRound(a, b, divisor) {
  return Math.floor((a * b * 2 + divisor) / (2 * divisor));
}

/** Lot origins whose goods are always free (European food aid: FEAD, now FSE+). */
export const FREE_ORIGINS = new Set(["fead"]);

/**
 * The participation rate (thousandths) for a product, as grocery/counter/pricing.py decides it:
 * free goods at 0; else the household's rate, replaced by the most specific fixed rule
 * (category beats origin), then lowered by every ceiling that applies (rules and the statutory
 * ceilings by origin). `product.origin` is the origin of the lot the till expects to sell from.
 */
export function rateFor({ baseRateMilli, product, rules = [], ceilings = {} }) {
  if (product.givenFree || FREE_ORIGINS.has(product.origin)) return 0;
  const applicable = rules.filter(
    (rule) =>
      (rule.categoryId === null || rule.categoryId === undefined || rule.categoryId === product.categoryId) &&
      (!rule.origin || rule.origin === product.origin),
  );
  let rate = baseRateMilli;
  let best = null;
  for (const rule of applicable.filter((r) => !r.ceiling)) {
    const specificity = (rule.categoryId != null ? 2 : 0) + (rule.origin ? 1 : 0);
    if (!best || specificity > best.specificity) best = { specificity, rate: rule.rateMilli };
  }
  if (best) rate = best.rate;
  const caps = applicable.filter((r) => r.ceiling).map((r) => r.rateMilli);
  if (product.origin && ceilings[product.origin] !== undefined) caps.push(ceilings[product.origin]);
  if (caps.length) rate = Math.min(rate, ...caps);
  return Math.max(0, Math.min(1000, rate));
}

/**
 * Price of `quantityMilli` of `product` (market price in cents per unit) at `rateMilli`: the
 * market value and the price paid each rounded once, to the cent, half up, from the exact
 * amounts (as the server does); saving = market value − price paid.
 */
export function priceLine(product, quantityMilli, rateMilli) {
  const marketValue = mulDivRound(product.marketPrice, quantityMilli, 1000);
  const paid = mulDivRound(product.marketPrice * quantityMilli, rateMilli, 1_000_000);
  return { marketValue, paid, saving: marketValue - paid, rateMilli };
}

let nextKey = 1;

export class Sale {
  /**
   * @param household the card lookup answer (normalised): {card, name, persons, basis,
   *        rateMilli, remainingCents, limits, ...}
   * @param pricing the catalogue snapshot's {rules, ceilings}
   */
  constructor(household, pricing = {}) {
    this.id = newUuid();
    this.household = household;
    this.pricing = pricing;
    this.lines = [];
    this.history = []; // what "undo" reverts: {kind: "add"|"increment", key}
  }

  get isEmpty() {
    return this.lines.length === 0;
  }

  line(key) {
    return this.lines.find((line) => line.key === key);
  }

  /** Adds one unit (pieces) or a line awaiting its weight (kg, l). Returns the line. */
  add(product) {
    if (product.unit === "piece") {
      const existing = this.lines.find((line) => line.product.id === product.id);
      if (existing) {
        existing.quantityMilli += 1000;
        this.history.push({ kind: "increment", key: existing.key });
        this.lastKey = existing.key;
        return existing;
      }
    }
    const line = {
      key: nextKey++,
      product,
      quantityMilli: product.unit === "piece" ? 1000 : 0,
    };
    this.lines.push(line);
    this.history.push({ kind: "add", key: line.key });
    this.lastKey = line.key;
    return line;
  }

  setQuantity(key, quantityMilli) {
    const line = this.line(key);
    if (!line) return null;
    if (!Number.isFinite(quantityMilli) || quantityMilli < 0) throw new RangeError("quantity");
    if (line.product.unit === "piece" && quantityMilli % 1000 !== 0) throw new RangeError("whole");
    line.quantityMilli = quantityMilli;
    return line;
  }

  remove(key) {
    this.lines = this.lines.filter((line) => line.key !== key);
    this.history = this.history.filter((entry) => entry.key !== key);
  }

  /** Reverts the last scan: one unit less, or the line it created. Returns the line touched. */
  undo() {
    const last = this.history.pop();
    if (!last) return null;
    const line = this.line(last.key);
    if (!line) return null;
    if (last.kind === "increment" && line.quantityMilli > 1000) {
      line.quantityMilli -= 1000;
    } else {
      this.remove(line.key);
    }
    return line;
  }

  rateOf(product) {
    return rateFor({ baseRateMilli: this.household.rateMilli, product, ...this.pricing });
  }

  priced(line) {
    return priceLine(line.product, line.quantityMilli, this.rateOf(line.product));
  }

  totals() {
    let marketValue = 0;
    let paid = 0;
    for (const line of this.lines) {
      const price = this.priced(line);
      marketValue += price.marketValue;
      paid += price.paid;
    }
    return { marketValue, paid, savings: marketValue - paid };
  }

  /** What this sale takes from the allowance: the paid or the market value, by the basis. */
  allowanceUsed() {
    const totals = this.totals();
    return this.household.basis === "market" ? totals.marketValue : totals.paid;
  }

  /** {state: "ok"|"near"|"over", remainingAfter, over} against the household's remaining allowance. */
  allowance() {
    const remainingAfter = this.household.remainingCents - this.allowanceUsed();
    if (remainingAfter < 0) return { state: "over", remainingAfter, over: -remainingAfter };
    const near = remainingAfter < Math.max(200, Math.round(this.household.allowanceCents * 0.1));
    return { state: near ? "near" : "ok", remainingAfter, over: 0 };
  }

  /** Per-product limits this sale would break: [{limit, product, wanted, left}]. */
  limitProblems() {
    const problems = [];
    for (const limit of this.household.limits || []) {
      let wanted = 0;
      for (const line of this.lines) {
        if (limit.matches(line.product)) wanted += line.quantityMilli;
      }
      if (wanted > limit.leftMilli) problems.push({ limit, wanted, left: limit.leftMilli });
    }
    return problems;
  }

  linesAwaitingWeight() {
    return this.lines.filter((line) => line.quantityMilli <= 0);
  }

  /** The body of POST /api/v1/sales/. */
  toRequest({ session, payments, soldAt = null, overrideReason = "" }) {
    const body = {
      id: this.id,
      session,
      card: this.household.card,
      lines: this.lines.map((line) => {
        const entry = { product: line.product.id };
        if (line.product.unit === "piece") entry.quantity = String(line.quantityMilli / 1000);
        else entry.weight = toDecimalString(line.quantityMilli, 3);
        return entry;
      }),
      payments: payments.map((payment) => ({ method: payment.method, amount: toDecimalString(payment.amount, 2) })),
    };
    if (soldAt) body.sold_at = soldAt;
    if (overrideReason) body.override_reason = overrideReason;
    return body;
  }
}

/** A v4 UUID. crypto.randomUUID needs a secure context; a till on plain http://192.168… has not. */
export function newUuid() {
  if (globalThis.crypto?.randomUUID) {
    try {
      return crypto.randomUUID();
    } catch {
      /* insecure context: fall through */
    }
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
