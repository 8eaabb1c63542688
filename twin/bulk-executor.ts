// A direct executor for bulk queries: walks the (already validated) document over the twin's views
// and writes JSONL lines as it goes, without building graphql-js's result tree. Bulk exports are
// what the app's backfill reads at scale, so this path is ~an order of magnitude cheaper than
// `execute`. Same views and field semantics as the API: unknown/unimplemented fields resolve to
// null (or an empty value when non-null).
import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from "graphql";
import { zeroValue, type ExecContext } from "./resolvers.ts";

export const isConnectionType = (t: unknown): t is GraphQLObjectType =>
  isObjectType(t) && t.name.endsWith("Connection") && ("edges" in t.getFields() || "nodes" in t.getFields());

type Resolvable = Record<string, unknown>;

interface FieldPlan {
  key: string;
  node: FieldNode;
  /** null for `__typename`. */
  def: GraphQLField<unknown, unknown> | null;
  connection: boolean;
  leaf: boolean;
}

export class BulkExecutor {
  private readonly argsCache = new Map<FieldNode, Record<string, unknown>>();
  private variables: Record<string, unknown>;
  private readonly fieldsCache = new Map<string, FieldNode[]>();
  private readonly selectionIds = new WeakMap<SelectionSetNode, number>();
  private nextSelectionId = 0;
  private readonly plans = new Map<SelectionSetNode, Map<string, FieldPlan[]>>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Record<string, FragmentDefinitionNode>,
    variables: Record<string, unknown>,
    private readonly ctx: ExecContext,
    private readonly out: string[],
  ) {
    this.variables = variables;
  }

  /** New (coerced) variables for the next run of the same document (bulk mutation lines). */
  setVariables(variables: Record<string, unknown>) {
    this.variables = variables;
    this.argsCache.clear();
  }

  /** Resolves and completes one field of `source` (e.g. a root mutation field) as JSON. */
  field(source: unknown, parentType: GraphQLObjectType, node: FieldNode): unknown {
    const def = parentType.getFields()[node.name.value];
    return this.complete(this.resolve(source, def, node), def.type, node.selectionSet);
  }

  /** Fields of a selection set that apply to `typeName` (fragments and type conditions resolved). */
  private fields(selectionSet: SelectionSetNode, typeName: string): FieldNode[] {
    let id = this.selectionIds.get(selectionSet);
    if (id === undefined) this.selectionIds.set(selectionSet, (id = this.nextSelectionId++));
    const key = `${id}:${typeName}`;
    const hit = this.fieldsCache.get(key);
    if (hit) return hit;
    const out: FieldNode[] = [];
    const applies = (condition: string | undefined) => {
      if (!condition || condition === typeName) return true;
      const cond = this.schema.getType(condition);
      const type = this.schema.getType(typeName);
      return !!cond && !!type && isAbstractType(cond) && isObjectType(type) && this.schema.isSubType(cond, type);
    };
    const collect = (set: SelectionSetNode) => {
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) out.push(sel);
        else if (sel.kind === Kind.INLINE_FRAGMENT) {
          if (applies(sel.typeCondition?.name.value)) collect(sel.selectionSet);
        } else {
          const frag = this.fragments[sel.name.value];
          if (frag && applies(frag.typeCondition.name.value)) collect(frag.selectionSet);
        }
      }
    };
    collect(selectionSet);
    this.fieldsCache.set(key, out);
    return out;
  }

  private args(def: GraphQLField<unknown, unknown>, node: FieldNode) {
    let a = this.argsCache.get(node);
    if (!a) this.argsCache.set(node, (a = getArgumentValues(def, node, this.variables)));
    return a;
  }

  /** The value of one field on a view (the API's field resolver semantics). */
  resolve(source: unknown, def: GraphQLField<unknown, unknown>, node: FieldNode): unknown {
    if (source === null || typeof source !== "object") return null;
    const v = (source as Resolvable)[node.name.value];
    if (typeof v === "function") return (v as (a: unknown, c: unknown) => unknown).call(source, this.args(def, node), this.ctx);
    if (v !== undefined) return v;
    return isNonNullType(def.type) ? zeroValue(def.type) : null;
  }

  private complete(value: unknown, type: GraphQLOutputType, selectionSet: SelectionSetNode | undefined): unknown {
    if (value === null || value === undefined) return null;
    const t = getNullableType(type);
    if (isListType(t)) return (value as unknown[]).map((v) => this.complete(v, t.ofType, selectionSet));
    if (isLeafType(t) || !selectionSet) return value;
    const typeName = isAbstractType(t) ? ((value as { __typename?: string }).__typename ?? "") : t.name;
    const objectType = this.schema.getType(typeName);
    if (!isObjectType(objectType)) return null;
    return this.object(value, objectType, selectionSet, null);
  }

  /**
   * Completes an object. With `lines` set (a bulk node), nested connections are not inlined: their
   * nodes become lines of their own with `__parentId`.
   */
  private object(value: unknown, type: GraphQLObjectType, selectionSet: SelectionSetNode, nested: { parentId: string | null; deferred: [FieldNode, GraphQLField<unknown, unknown>][] } | null) {
    const result: Record<string, unknown> = {};
    for (const f of this.plan(selectionSet, type)) {
      if (f.def === null) {
        result[f.key] = type.name;
        continue;
      }
      if (nested && f.connection) {
        nested.deferred.push([f.node, f.def]);
        continue;
      }
      const v = this.resolve(value, f.def, f.node);
      // A leaf (or a list of leaves) completes to itself: the same JSON without the type walk.
      result[f.key] = f.leaf ? (v ?? null) : this.complete(v, f.def.type, f.node.selectionSet);
    }
    return result;
  }

  /** The fields of a selection set on a type with what completing each needs, worked out once. */
  private plan(selectionSet: SelectionSetNode, type: GraphQLObjectType): FieldPlan[] {
    let byType = this.plans.get(selectionSet);
    if (!byType) this.plans.set(selectionSet, (byType = new Map()));
    let plan = byType.get(type.name);
    if (plan) return plan;
    plan = [];
    const defs = type.getFields();
    for (const node of this.fields(selectionSet, type.name)) {
      const key = node.alias?.value ?? node.name.value;
      if (node.name.value === "__typename") {
        plan.push({ key, node, def: null, connection: false, leaf: false });
        continue;
      }
      const def = defs[node.name.value];
      if (!def) continue;
      const named = getNamedType(def.type);
      plan.push({ key, node, def, connection: isConnectionType(named), leaf: isLeafType(named) });
    }
    byType.set(type.name, plan);
    return plan;
  }

  /** Writes a bulk node and (after it) the nodes of its nested connections. */
  private node(value: unknown, type: GraphQLObjectType, selectionSet: SelectionSetNode, parentId: string | null) {
    const deferred: [FieldNode, GraphQLField<unknown, unknown>][] = [];
    const line = this.object(value, type, selectionSet, { parentId, deferred });
    if (parentId !== null) line.__parentId = parentId;
    this.out.push(JSON.stringify(line));
    if (!deferred.length) return;
    const id = (value as { id?: unknown }).id;
    const ownId = typeof id === "string" ? id : null;
    for (const [node, def] of deferred) this.connection(this.resolve(value, def, node), getNamedType(def.type) as GraphQLObjectType, node, ownId);
  }

  /** Writes the nodes of a connection value (the object paginate() returns); returns how many. */
  connection(value: unknown, connectionType: GraphQLObjectType, field: FieldNode, parentId: string | null): number {
    if (!value || !field.selectionSet) return 0;
    const nodes = (value as { nodes: unknown[] }).nodes;
    let count = 0;
    for (const inner of this.fields(field.selectionSet, connectionType.name)) {
      const name = inner.name.value;
      if (!inner.selectionSet) continue;
      let selection: SelectionSetNode;
      let nodeType: GraphQLObjectType;
      if (name === "nodes") {
        selection = inner.selectionSet;
        nodeType = getNamedType(connectionType.getFields().nodes.type) as GraphQLObjectType;
      } else if (name === "edges") {
        const edgeType = getNamedType(connectionType.getFields().edges.type) as GraphQLObjectType;
        const nodeField = this.fields(inner.selectionSet, edgeType.name).find((f) => f.name.value === "node");
        if (!nodeField?.selectionSet) continue;
        selection = nodeField.selectionSet;
        nodeType = getNamedType(edgeType.getFields().node.type) as GraphQLObjectType;
      } else continue;
      for (const item of nodes) {
        const concrete = isObjectType(nodeType) ? nodeType : (this.schema.getType((item as { __typename: string }).__typename) as GraphQLObjectType);
        this.node(item, concrete, selection, parentId);
      }
      count = Math.max(count, nodes.length);
    }
    return count;
  }
}
