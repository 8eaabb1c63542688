// Bulk operations: queries run in the background over every node and produce JSONL (nested
// connections as separate lines with `__parentId`); mutations run a mutation once per line of an
// uploaded JSONL file and produce result lines with `__lineNumber`. Up to 5 of each type run at
// once per shop; `bulk_operations/finish` is delivered when one ends.
import {
  getNamedType,
  getVariableValues,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type OperationDefinitionNode,
} from "graphql";
import { stringifyExact } from "./json.ts";
import { BulkExecutor, isConnectionType } from "./bulk-executor.ts";
import { rootValue, type ExecContext } from "./resolvers.ts";
import { adminSchema, parseAndValidate, toShopifyError } from "./schema.ts";

export type BulkStatus = "CREATED" | "RUNNING" | "COMPLETED" | "CANCELING" | "CANCELED" | "FAILED" | "EXPIRED";

export interface BulkOperationRecord {
  id: bigint;
  type: "QUERY" | "MUTATION";
  status: BulkStatus;
  errorCode: string | null;
  createdAt: number;
  completedAt: number | null;
  objectCount: number;
  rootObjectCount: number;
  fileSize: number | null;
  url: string | null;
  partialDataUrl: string | null;
  query: string;
}

export const MAX_CONCURRENT_BULK = 5;

/** Moves the nested objects' lines written since `from` ahead of their parents' lines. */
function ungroup(lines: string[], from: number) {
  const chunk = lines.splice(from);
  const isChild = (line: string) => line.includes('"__parentId":');
  for (const line of chunk) if (isChild(line)) lines.push(line);
  for (const line of chunk) if (!isChild(line)) lines.push(line);
}
const CHUNK = 500;

type UserError = { field: string[] | null; message: string; code: string };

export interface BulkManagerOptions {
  newId(): bigint;
  /** Builds the execution context for the shop (bulk mode is set by the manager). */
  context(): ExecContext;
  resultUrl(op: BulkOperationRecord): string;
  upload(path: string): string | undefined;
  onFinish(op: BulkOperationRecord): void;
  /** Pause between status steps, ms (lets tests observe CREATED and RUNNING). */
  stepDelayMs: number;
}


export class BulkManager {
  private readonly ops = new Map<bigint, BulkOperationRecord>();
  private readonly results = new Map<bigint, string>();
  private readonly cancelRequested = new Set<bigint>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: BulkManagerOptions) {}

  get(id: bigint) {
    return this.ops.get(id);
  }
  list() {
    return [...this.ops.values()];
  }
  /** The most recent operation of a type (deprecated `currentBulkOperation`). */
  current(type: "QUERY" | "MUTATION") {
    return this.list().filter((o) => o.type === type).at(-1) ?? null;
  }
  /** The JSONL of a finished operation. */
  result(id: bigint) {
    return this.results.get(id);
  }
  /** Resolves when every operation started so far has finished. */
  async settle() {
    while (this.running.size) await Promise.all([...this.running]);
  }

  private active(type: "QUERY" | "MUTATION") {
    return this.list().filter((o) => o.type === type && (o.status === "CREATED" || o.status === "RUNNING" || o.status === "CANCELING")).length;
  }

  private create(type: "QUERY" | "MUTATION", query: string): BulkOperationRecord {
    const op: BulkOperationRecord = {
      id: this.options.newId(),
      type,
      status: "CREATED",
      errorCode: null,
      createdAt: Date.now(),
      completedAt: null,
      objectCount: 0,
      rootObjectCount: 0,
      fileSize: null,
      url: null,
      partialDataUrl: null,
      query,
    };
    this.ops.set(op.id, op);
    return op;
  }

  private track(work: Promise<void>) {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  /**
   * `groupObjects` (default false since 2026-01): grouped, a nested object's line follows its
   * parent's; ungrouped, Shopify promises no order, and the twin writes each chunk's nested objects
   * before their parents, so a client that needs grouping and forgets to ask finds out.
   */
  runQuery(query: string, options: { groupObjects?: boolean } = {}): { op?: BulkOperationRecord; userErrors: UserError[] } {
    if (this.active("QUERY") >= MAX_CONCURRENT_BULK) {
      return { userErrors: [{ field: null, message: `A maximum of ${MAX_CONCURRENT_BULK} bulk queries can run at the same time for a shop.`, code: "LIMIT_REACHED" }] };
    }
    const parsed = parseAndValidate(query);
    if (!parsed.document) {
      return { userErrors: parsed.errors.map((e) => ({ field: ["query"], message: `Invalid bulk query: ${e.message}`, code: "INVALID" })) };
    }
    const operation = parsed.document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (!operation || operation.operation !== "query") {
      return { userErrors: [{ field: ["query"], message: "Invalid bulk query: bulk queries must be queries, not mutations.", code: "INVALID" }] };
    }
    const top = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD);
    const schema = adminSchema();
    const queryType = schema.getQueryType()!;
    const connections = top.filter((f) => isConnectionType(getNamedType(queryType.getFields()[f.name.value]?.type)));
    if (connections.length !== 1 || top.length !== 1) {
      return { userErrors: [{ field: ["query"], message: "Invalid bulk query: Bulk queries must contain exactly one top-level connection field.", code: "INVALID" }] };
    }
    const op = this.create("QUERY", query);
    this.track(this.executeQuery(op, parsed.document, connections[0], options.groupObjects ?? false));
    return { op, userErrors: [] };
  }

  runMutation(mutation: string, stagedUploadPath: string): { op?: BulkOperationRecord; userErrors: UserError[] } {
    if (this.active("MUTATION") >= MAX_CONCURRENT_BULK) {
      return { userErrors: [{ field: null, message: `A maximum of ${MAX_CONCURRENT_BULK} bulk mutations can run at the same time for a shop.`, code: "LIMIT_REACHED" }] };
    }
    const file = this.options.upload(stagedUploadPath);
    if (file === undefined) {
      return {
        userErrors: [
          {
            field: ["stagedUploadPath"],
            message:
              "The JSONL file could not be found. Try uploading the file again, and check that you've entered the URL correctly for the stagedUploadPath mutation argument.",
            code: "NO_SUCH_FILE",
          },
        ],
      };
    }
    const parsed = parseAndValidate(mutation);
    if (!parsed.document) {
      return { userErrors: parsed.errors.map((e) => ({ field: ["mutation"], message: `Invalid mutation: ${e.message}`, code: "INVALID_MUTATION" })) };
    }
    const operation = parsed.document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (!operation || operation.operation !== "mutation" || operation.selectionSet.selections.length !== 1) {
      return { userErrors: [{ field: ["mutation"], message: "Invalid mutation: a bulk mutation runs exactly one mutation field.", code: "INVALID_MUTATION" }] };
    }
    const op = this.create("MUTATION", mutation);
    this.track(this.executeMutation(op, parsed.document, file));
    return { op, userErrors: [] };
  }

  /** Returns an error message when the operation can no longer be canceled. */
  cancel(op: BulkOperationRecord): string | null {
    if (op.status !== "CREATED" && op.status !== "RUNNING") return `A bulk operation cannot be canceled when it is ${op.status.toLowerCase()}`;
    op.status = "CANCELING";
    this.cancelRequested.add(op.id);
    return null;
  }

  private pause(ms = this.options.stepDelayMs) {
    return new Promise((r) => setTimeout(r, ms));
  }

  private finish(op: BulkOperationRecord, lines: string[], status: BulkStatus) {
    const text = lines.length ? `${lines.join("\n")}\n` : "";
    op.status = status;
    op.completedAt = Date.now();
    op.objectCount = lines.length;
    if (status === "COMPLETED") {
      this.results.set(op.id, text);
      op.fileSize = Buffer.byteLength(text);
      op.url = lines.length ? this.options.resultUrl(op) : null;
    } else if (status === "FAILED" && lines.length) {
      this.results.set(op.id, text);
      op.partialDataUrl = this.options.resultUrl(op);
    }
    this.cancelRequested.delete(op.id);
    this.options.onFinish(op);
  }

  private async executeQuery(op: BulkOperationRecord, document: DocumentNode, root: FieldNode, grouped: boolean) {
    await this.pause();
    if (this.cancelRequested.has(op.id)) return this.finish(op, [], "CANCELED");
    op.status = "RUNNING";
    const lines: string[] = [];
    const schema = adminSchema();
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
    const queryType = schema.getQueryType()!;
    const rootDef = queryType.getFields()[root.name.value];
    const connectionType = getNamedType(rootDef.type) as GraphQLObjectType;
    try {
      for (let start = 0; ; start += CHUNK) {
        const ctx: ExecContext = { ...this.options.context(), bulkMode: true, bulkSlice: { start, end: start + CHUNK } };
        const executor = new BulkExecutor(schema, fragments, {}, ctx, lines);
        const value = executor.resolve(rootValue, rootDef, root);
        const from = lines.length;
        const roots = executor.connection(value, connectionType, root, null);
        if (!grouped) ungroup(lines, from);
        op.rootObjectCount += roots;
        op.objectCount = lines.length;
        if (this.cancelRequested.has(op.id)) return this.finish(op, [], "CANCELED");
        const total = ctx.bulkSlice!.total;
        if (roots < CHUNK || (total !== undefined && start + CHUNK >= total)) break;
        await new Promise((r) => setImmediate(r));
      }
    } catch {
      op.errorCode = "INTERNAL_SERVER_ERROR";
      return this.finish(op, lines, "FAILED");
    }
    await this.pause();
    this.finish(op, lines, "COMPLETED");
  }

  private async executeMutation(op: BulkOperationRecord, document: DocumentNode, file: string) {
    await this.pause();
    if (this.cancelRequested.has(op.id)) return this.finish(op, [], "CANCELED");
    op.status = "RUNNING";
    const schema = adminSchema();
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
    const field = operation.selectionSet.selections[0] as FieldNode;
    const key = field.alias?.value ?? field.name.value;
    const mutationType = schema.getMutationType()!;
    const executor = new BulkExecutor(schema, fragments, {}, this.options.context(), []);
    const out: string[] = [];
    let lineNumber = 0;
    for (const raw of file.split("\n")) {
      const line = raw.trim();
      if (!line) {
        lineNumber++;
        continue;
      }
      let variables: Record<string, unknown>;
      try {
        variables = JSON.parse(line) as Record<string, unknown>;
      } catch {
        op.errorCode = "INTERNAL_SERVER_ERROR";
        return this.finish(op, out, "FAILED");
      }
      const entry: Record<string, unknown> = {};
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
      if (coerced.errors) {
        entry.errors = coerced.errors.map((e) => toShopifyError(e));
        entry.data = null;
      } else {
        executor.setVariables(coerced.coerced);
        try {
          entry.data = { [key]: executor.field(rootValue, mutationType, field) };
        } catch (error) {
          entry.errors = [{ message: error instanceof Error ? error.message : String(error), path: [key] }];
          entry.data = { [key]: null };
        }
      }
      entry.__lineNumber = lineNumber++;
      out.push(stringifyExact(entry));
      op.rootObjectCount++;
      op.objectCount = out.length;
      if (lineNumber % CHUNK === 0) {
        if (this.cancelRequested.has(op.id)) return this.finish(op, out, "CANCELED");
        await new Promise((r) => setImmediate(r));
      }
    }
    await this.pause();
    this.finish(op, out, "COMPLETED");
  }
}
