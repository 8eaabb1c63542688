// Shopify's search syntax for the `query:` argument of connections, the subset apps use:
// `updated_at:>'2024-01-01T00:00:00Z'`, `id:>123`, `created_at:<=…`, `tag:vip`, `-tag:x`,
// `financial_status:paid`, `customer_id:…`, `status:cancelled`, joined by spaces or AND.
// Unknown fields are ignored, as Shopify ignores them (with a search warning).
import type { CustomerRecord, OrderRecord } from "./store.ts";

type Op = ":" | ">" | ">=" | "<" | "<=";
interface Term {
  field: string;
  op: Op;
  value: string;
  negate: boolean;
}

function tokenize(query: string): string[] {
  const tokens: string[] = [];
  const re = /(-?[\w.]+:(?:[<>]=?)?(?:'[^']*'|"[^"]*"|\S+))|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(query))) tokens.push(m[0]);
  return tokens;
}

export function parseSearch(query: string | null | undefined): Term[] {
  if (!query) return [];
  const terms: Term[] = [];
  for (const token of tokenize(query)) {
    if (/^(AND|OR)$/i.test(token)) continue;
    const m = /^(-?)([\w.]+):(>=|<=|>|<)?(.*)$/.exec(token);
    if (!m) continue;
    const value = m[4].replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1");
    terms.push({ negate: m[1] === "-", field: m[2].toLowerCase(), op: (m[3] as Op) ?? ":", value });
  }
  return terms;
}

function compare(actual: number | bigint, op: Op, expected: number | bigint): boolean {
  switch (op) {
    case ">":
      return actual > expected;
    case ">=":
      return actual >= expected;
    case "<":
      return actual < expected;
    case "<=":
      return actual <= expected;
    default:
      return actual === expected;
  }
}

const parseTime = (v: string) => new Date(v).getTime();
const parseIdValue = (v: string) => BigInt(v.replace(/^gid:\/\/shopify\/\w+\//, ""));

function matchDate(ms: number | null, term: Term) {
  if (ms === null) return false;
  const t = parseTime(term.value);
  if (Number.isNaN(t)) return true;
  // A bare date with ":" means that whole day.
  if (term.op === ":" && /^\d{4}-\d{2}-\d{2}$/.test(term.value)) return ms >= t && ms < t + 86_400_000;
  return compare(ms, term.op, t);
}

export function customerFilter(query: string | null | undefined): ((c: CustomerRecord) => boolean) | null {
  const terms = parseSearch(query);
  if (!terms.length) return null;
  return (c) =>
    terms.every((term) => {
      let ok: boolean;
      switch (term.field) {
        case "id":
          ok = compare(c.id, term.op, parseIdValue(term.value));
          break;
        case "updated_at":
          ok = matchDate(c.updatedAt, term);
          break;
        case "created_at":
          ok = matchDate(c.createdAt, term);
          break;
        case "tag":
          ok = c.tags.some((t) => t.toLowerCase() === term.value.toLowerCase());
          break;
        case "tag_not":
          ok = !c.tags.some((t) => t.toLowerCase() === term.value.toLowerCase());
          break;
        case "state":
        case "customer_account_status":
          ok = c.state.toLowerCase() === term.value.toLowerCase();
          break;
        case "orders_count":
          ok = compare(c.orders.length, term.op, Number(term.value));
          break;
        default:
          ok = true;
      }
      return term.negate ? !ok : ok;
    });
}

export function orderFilter(query: string | null | undefined): ((o: OrderRecord) => boolean) | null {
  const terms = parseSearch(query);
  if (!terms.length) return null;
  return (o) =>
    terms.every((term) => {
      let ok: boolean;
      switch (term.field) {
        case "id":
          ok = compare(o.id, term.op, parseIdValue(term.value));
          break;
        case "updated_at":
          ok = matchDate(o.updatedAt, term);
          break;
        case "created_at":
          ok = matchDate(o.createdAt, term);
          break;
        case "processed_at":
          ok = matchDate(o.processedAt, term);
          break;
        case "customer_id":
          ok = o.customerId !== null && compare(o.customerId, term.op, parseIdValue(term.value));
          break;
        case "financial_status":
          ok = term.value === "*" || o.financialStatus === term.value.toLowerCase();
          break;
        case "status":
          ok =
            term.value === "any" ||
            (term.value === "cancelled" ? o.cancelledAt !== null : term.value === "open" ? o.cancelledAt === null : true);
          break;
        case "test":
          ok = o.test === (term.value === "true");
          break;
        case "tag":
          ok = o.tags.some((t) => t.toLowerCase() === term.value.toLowerCase());
          break;
        case "name":
          ok = o.name === term.value || o.name === `#${term.value}`;
          break;
        default:
          ok = true;
      }
      return term.negate ? !ok : ok;
    });
}
