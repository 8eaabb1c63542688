// Shopify's calculated query cost, simplified: a scalar or enum field costs 0, an object 1, a
// connection 2 + (first|last) × (cost of one node), a list of objects (first ?? 1) × its object
// cost, a mutation field 10. The actual cost recounts connections and lists with the number of
// nodes really returned. A leaky bucket per app per shop enforces it.
import {
  getNamedType,
  isCompositeType,
  isObjectType,
  isInterfaceType,
  isListType,
  getNullableType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";

export const MAX_QUERY_COST = 1000;
export const MUTATION_COST = 10;

interface CostEnv {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

function argValue(node: FieldNode, name: string, env: CostEnv): number | null {
  const arg = node.arguments?.find((a) => a.name.value === name);
  if (!arg) return null;
  const v: ValueNode = arg.value;
  if (v.kind === Kind.INT) return Number(v.value);
  if (v.kind === Kind.VARIABLE) {
    const x = env.variables[v.name.value];
    return typeof x === "number" ? x : null;
  }
  return null;
}

function isConnection(type: GraphQLCompositeType) {
  return isObjectType(type) && type.name.endsWith("Connection") && ("edges" in type.getFields() || "nodes" in type.getFields());
}

function collectFields(selectionSet: SelectionSetNode, parent: GraphQLCompositeType, env: CostEnv, out: { node: FieldNode; parent: GraphQLCompositeType }[] = []) {
  for (const sel of selectionSet.selections) {
    if (sel.kind === Kind.FIELD) out.push({ node: sel, parent });
    else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const cond = sel.typeCondition ? (env.schema.getType(sel.typeCondition.name.value) as GraphQLCompositeType) : parent;
      collectFields(sel.selectionSet, cond ?? parent, env, out);
    } else if (sel.kind === Kind.FRAGMENT_SPREAD) {
      const frag = env.fragments[sel.name.value];
      if (frag) collectFields(frag.selectionSet, (env.schema.getType(frag.typeCondition.name.value) as GraphQLCompositeType) ?? parent, env, out);
    }
  }
  return out;
}

/** Cost of a selection set on `parent`; with `data`, counts what was returned instead of requested. */
function selectionCost(selectionSet: SelectionSetNode, parent: GraphQLCompositeType, env: CostEnv, data?: unknown): number {
  let total = 0;
  const record = data && typeof data === "object" ? (data as Record<string, unknown>) : undefined;
  for (const { node, parent: owner } of collectFields(selectionSet, parent, env)) {
    const name = node.name.value;
    if (name.startsWith("__")) continue;
    if (!(isObjectType(owner) || isInterfaceType(owner))) continue;
    const def = owner.getFields()[name];
    if (!def) continue;
    const named = getNamedType(def.type);
    if (!isCompositeType(named) || !node.selectionSet) continue;
    const key = node.alias?.value ?? name;
    const value = record ? record[key] : undefined;
    if (record && (value === null || value === undefined)) continue;
    if (isConnection(named)) {
      const perPage = argValue(node, "first", env) ?? argValue(node, "last", env) ?? 0;
      let itemsCost = 0;
      for (const inner of collectFields(node.selectionSet, named, env)) {
        const innerName = inner.node.name.value;
        if (innerName !== "edges" && innerName !== "nodes") continue;
        const list = value ? (value as Record<string, unknown>)[inner.node.alias?.value ?? innerName] : undefined;
        const nodeType = getNamedType((named as { getFields(): Record<string, { type: Parameters<typeof getNamedType>[0] }> }).getFields()[innerName].type) as GraphQLCompositeType;
        let itemSelection = inner.node.selectionSet!;
        let itemType = nodeType;
        const pick = (item: unknown) => item;
        let unwrap = pick;
        if (innerName === "edges") {
          const nodeField = collectFields(itemSelection, nodeType, env).find((f) => f.node.name.value === "node");
          if (!nodeField?.node.selectionSet) continue;
          itemSelection = nodeField.node.selectionSet;
          itemType = getNamedType((nodeType as { getFields(): Record<string, { type: Parameters<typeof getNamedType>[0] }> }).getFields().node.type) as GraphQLCompositeType;
          const alias = nodeField.node.alias?.value ?? "node";
          unwrap = (item: unknown) => (item as Record<string, unknown> | null)?.[alias];
        }
        if (Array.isArray(list)) {
          let c = 0;
          for (const item of list) c += 1 + selectionCost(itemSelection, itemType, env, unwrap(item));
          itemsCost = Math.max(itemsCost, c);
        } else if (!record) {
          itemsCost = Math.max(itemsCost, perPage * (1 + selectionCost(itemSelection, itemType, env)));
        }
      }
      total += 2 + itemsCost;
    } else if (isListType(getNullableType(def.type))) {
      if (Array.isArray(value)) {
        for (const item of value) total += 1 + selectionCost(node.selectionSet, named, env, item);
      } else if (!record) {
        total += (argValue(node, "first", env) ?? 1) * (1 + selectionCost(node.selectionSet, named, env));
      }
    } else {
      total += 1 + selectionCost(node.selectionSet, named, env, value);
    }
  }
  return total;
}

export function operationOf(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? ops.find((o) => o.name?.value === operationName) : ops[0];
}

function envFor(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined): CostEnv {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  return { schema, fragments, variables: variables ?? {} };
}

export function queryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  data?: unknown,
): number {
  const env = envFor(schema, document, variables);
  if (operation.operation === "mutation") {
    const fields = collectFields(operation.selectionSet, schema.getMutationType()!, env);
    return fields.filter((f) => !f.node.name.value.startsWith("__")).length * MUTATION_COST;
  }
  return selectionCost(operation.selectionSet, schema.getQueryType()!, env, data);
}

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

/** A leaky bucket: `size` points, refilled at `restoreRate` points per second. */
export class CostBucket {
  private available: number;
  private updatedAt: number;
  constructor(
    readonly size: number,
    readonly restoreRate: number,
    private readonly now: () => number = Date.now,
  ) {
    this.available = size;
    this.updatedAt = now();
  }
  private refill() {
    const t = this.now();
    this.available = Math.min(this.size, this.available + ((t - this.updatedAt) / 1000) * this.restoreRate);
    this.updatedAt = t;
  }
  /** Takes `cost` points if available. */
  take(cost: number): boolean {
    this.refill();
    if (cost > this.available) return false;
    this.available -= cost;
    return true;
  }
  /** Gives back points (requested minus actual cost). */
  refund(points: number) {
    this.refill();
    this.available = Math.min(this.size, this.available + points);
  }
  status(): ThrottleStatus {
    this.refill();
    return { maximumAvailable: this.size, currentlyAvailable: Math.floor(this.available), restoreRate: this.restoreRate };
  }
}
