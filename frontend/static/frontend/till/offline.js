// What keeps the till selling when the network drops: a small IndexedDB store holding the queue
// of sales made offline (each with its client UUID, so a replay can never record it twice), the
// sales the server refused on replay (conflicts, kept until a manager settles them, never
// dropped), and the catalogue and household caches the page prices and identifies from.

const DB_NAME = "epicerie-caisse";
const DB_VERSION = 1;
export const STORES = ["queue", "conflicts", "cache", "cards"];

function promisify(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

let dbPromise = null;
export function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains("queue")) db.createObjectStore("queue", { keyPath: "id" });
        if (!db.objectStoreNames.contains("conflicts")) db.createObjectStore("conflicts", { keyPath: "id" });
        if (!db.objectStoreNames.contains("cache")) db.createObjectStore("cache", { keyPath: "key" });
        if (!db.objectStoreNames.contains("cards")) db.createObjectStore("cards", { keyPath: "number" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return dbPromise;
}

async function tx(storeName, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(storeName, mode);
    const store = transaction.objectStore(storeName);
    let result;
    Promise.resolve(work(store)).then((value) => {
      result = value;
    }, reject);
    transaction.oncomplete = () => resolve(result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

export const db = {
  get: (storeName, key) => tx(storeName, "readonly", (store) => promisify(store.get(key))),
  all: (storeName) => tx(storeName, "readonly", (store) => promisify(store.getAll())),
  count: (storeName) => tx(storeName, "readonly", (store) => promisify(store.count())),
  put: (storeName, value) => tx(storeName, "readwrite", (store) => promisify(store.put(value))),
  delete: (storeName, key) => tx(storeName, "readwrite", (store) => promisify(store.delete(key))),
  /** Moves a record from one store to another in one transaction: it is never in neither. */
  async move(fromStore, toStore, key, value) {
    const database = await openDb();
    return new Promise((resolve, reject) => {
      const transaction = database.transaction([fromStore, toStore], "readwrite");
      transaction.objectStore(fromStore).delete(key);
      transaction.objectStore(toStore).put(value);
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
    });
  },
};

/** A network failure or an answer that is not the server's (proxy page, 502…): we are offline. */
export class Offline extends Error {}

/** An answer from the server that refuses the request: a 4xx with the API's error body. */
export class Refused extends Error {
  constructor(status, body) {
    super(body?.detail || `Erreur ${status}`);
    this.status = status;
    this.body = body || {};
    this.code = this.body.code || "error";
  }
}

function csrfToken() {
  const match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
  return match ? decodeURIComponent(match[1]) : document.querySelector("meta[name=csrf-token]")?.content || "";
}

/**
 * The API client of the till. Calls that cannot reach the server throw `Offline` and switch the
 * connection state; `onChange(online)` listeners redraw the banner and replay the queue.
 */
export class Connection {
  constructor({ pingUrl, pingEveryMs = 3000, timeoutMs = 8000 }) {
    this.pingUrl = pingUrl;
    this.pingEveryMs = pingEveryMs;
    this.timeoutMs = timeoutMs;
    this.online = navigator.onLine !== false;
    this.listeners = [];
    this.timer = null;
    window.addEventListener("offline", () => this.setOnline(false));
    window.addEventListener("online", () => this.ping());
    if (!this.online) this.schedulePing();
  }

  onChange(listener) {
    this.listeners.push(listener);
  }

  setOnline(online) {
    if (online === this.online) return;
    this.online = online;
    if (!online) this.schedulePing();
    for (const listener of this.listeners) listener(online);
  }

  schedulePing() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.ping(), this.pingEveryMs);
  }

  async ping() {
    try {
      await this.request("GET", this.pingUrl, undefined, { timeoutMs: 4000 });
    } catch {
      /* request() has already set the state */
    }
    if (!this.online) this.schedulePing();
  }

  async request(method, url, body, { timeoutMs = this.timeoutMs, headers = {} } = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response;
    try {
      response = await fetch(url, {
        method,
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          ...(body !== undefined ? { "Content-Type": "application/json", "X-CSRFToken": csrfToken() } : {}),
          ...headers,
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: controller.signal,
      });
    } catch (error) {
      this.setOnline(false);
      throw new Offline(error.message);
    } finally {
      clearTimeout(timer);
    }
    if (response.status >= 500 || (response.status >= 300 && response.status !== 304 && response.status < 400)) {
      this.setOnline(false);
      throw new Offline(`HTTP ${response.status}`);
    }
    this.setOnline(true);
    if (response.status === 304) return { status: 304, data: null, headers: response.headers };
    let data = null;
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) data = await response.json().catch(() => null);
    if (response.status >= 400) throw new Refused(response.status, data);
    return { status: response.status, data, headers: response.headers };
  }
}

/** The offline queue: sales recorded in the browser, waiting for the server. */
export class SaleQueue {
  constructor({ connection, salesUrl, onChange = () => {} }) {
    this.connection = connection;
    this.salesUrl = salesUrl;
    this.onChange = onChange;
    this.replaying = null;
  }

  async add(entry) {
    // entry: {id, body, summary: {household, card, total, used, basis}, queued_at}
    await db.put("queue", { ...entry, attempts: 0, queued_at: entry.queued_at || new Date().toISOString() });
    await this.onChange();
  }

  async pending() {
    const entries = await db.all("queue");
    return entries.sort((a, b) => a.queued_at.localeCompare(b.queued_at));
  }

  count() {
    return db.count("queue");
  }

  conflicts() {
    return db.all("conflicts");
  }

  /**
   * Sends the queued sales in the order they were made. A sale the server records (201) or
   * already had (200, same UUID) leaves the queue; a sale it refuses becomes a conflict; if the
   * server cannot be reached, the rest wait for the next attempt. Returns {sent, refused}.
   */
  replay() {
    if (!this.replaying) {
      this.replaying = this.replayOnce().finally(() => {
        this.replaying = null;
      });
    }
    return this.replaying;
  }

  async replayOnce() {
    const result = { sent: [], refused: [] };
    for (const entry of await this.pending()) {
      try {
        const { data } = await this.connection.request("POST", this.salesUrl, entry.body);
        await db.delete("queue", entry.id);
        result.sent.push({ entry, sale: data });
      } catch (error) {
        if (error instanceof Refused && error.status !== 401 && error.status !== 403) {
          const conflict = {
            ...entry,
            refused_at: new Date().toISOString(),
            error: { status: error.status, ...error.body },
            resolution: null,
          };
          await db.move("queue", "conflicts", entry.id, conflict);
          result.refused.push(conflict);
        } else {
          // Offline again, or signed out: keep it queued, count the attempt.
          await db.put("queue", { ...entry, attempts: (entry.attempts || 0) + 1, last_error: String(error.message) });
          break;
        }
      }
    }
    await this.onChange(result);
    return result;
  }

  /** A manager settles a conflict: kept with the decision, never deleted. */
  async resolve(id, resolution) {
    const conflict = await db.get("conflicts", id);
    if (!conflict) return null;
    conflict.resolution = { ...resolution, at: new Date().toISOString() };
    await db.put("conflicts", conflict);
    await this.onChange();
    return conflict;
  }

  /** Sends a conflict again (e.g. with a manager's override reason); on success it is settled. */
  async retryConflict(id, changes = {}) {
    const conflict = await db.get("conflicts", id);
    if (!conflict) return null;
    const body = { ...conflict.body, ...changes };
    try {
      const { data } = await this.connection.request("POST", this.salesUrl, body);
      conflict.resolution = { kind: "recorded", receipt_number: data?.receipt_number, at: new Date().toISOString(), ...changes };
      conflict.body = body;
      await db.put("conflicts", conflict);
      await this.onChange();
      return { ok: true, sale: data };
    } catch (error) {
      if (error instanceof Refused) {
        conflict.error = { status: error.status, ...error.body };
        conflict.refused_at = new Date().toISOString();
        await db.put("conflicts", conflict);
        await this.onChange();
      }
      return { ok: false, error };
    }
  }
}

/** Small key-value cache (catalogue snapshot, session, till choice) kept across reloads. */
export const cache = {
  async get(key) {
    const record = await db.get("cache", key);
    return record ? record.value : undefined;
  },
  set(key, value) {
    return db.put("cache", { key, value, saved_at: new Date().toISOString() });
  },
};

/** Households seen by this till, so a card scanned while offline is still recognised. */
export const cards = {
  get: (number) => db.get("cards", number),
  put: (number, lookup) => db.put("cards", { number, lookup, saved_at: new Date().toISOString() }),
};
