// Shopify's real Admin API schema (2026-10 introspection, vendored from @shopify/dev-mcp), loaded
// once per process, and validation that answers in Shopify's error shape.
import { readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import {
  buildClientSchema,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type IntrospectionQuery,
} from "graphql";

export const ADMIN_API_VERSION = "2026-10";
export const SCHEMA_FILE = path.resolve(import.meta.dirname, "schema/admin-2026-10.json.gz");

let cached: GraphQLSchema | undefined;

/** The Admin 2026-10 schema (built once per process, ~0.2 s). */
export function adminSchema(): GraphQLSchema {
  if (!cached) {
    const json = JSON.parse(gunzipSync(readFileSync(SCHEMA_FILE)).toString("utf8")) as { data: IntrospectionQuery };
    cached = buildClientSchema(json.data);
  }
  return cached;
}

export interface ShopifyGraphQLError {
  message: string;
  locations?: { line: number; column: number }[];
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

function locationsOf(error: GraphQLError) {
  return error.locations?.map(({ line, column }) => ({ line, column }));
}

/**
 * graphql-js and Shopify (graphql-ruby) word validation errors differently; apps and their logs
 * see Shopify's wording, so we translate the common ones.
 */
export function toShopifyError(error: GraphQLError): ShopifyGraphQLError {
  const base = { locations: locationsOf(error) };
  const msg = error.message;
  let m: RegExpExecArray | null;
  if ((m = /^Cannot query field "([^"]+)" on type "([^"]+)"/.exec(msg))) {
    return {
      message: `Field '${m[1]}' doesn't exist on type '${m[2]}'`,
      ...base,
      extensions: { code: "undefinedField", typeName: m[2], fieldName: m[1] },
    };
  }
  if ((m = /^Unknown argument "([^"]+)" on field "([^".]+)\.([^"]+)"/.exec(msg))) {
    return {
      message: `Field '${m[3]}' doesn't accept argument '${m[1]}'`,
      ...base,
      extensions: { code: "argumentNotAccepted", name: m[3], typeName: "Field", argumentName: m[1] },
    };
  }
  if ((m = /^Unknown argument "([^"]+)" on directive "@([^"]+)"/.exec(msg))) {
    return {
      message: `Directive '${m[2]}' doesn't accept argument '${m[1]}'`,
      ...base,
      extensions: { code: "argumentNotAccepted", name: m[2], typeName: "Directive", argumentName: m[1] },
    };
  }
  if ((m = /^Field "([^"]+)" argument "([^"]+)" of type "[^"]+" is required, but it was not provided/.exec(msg))) {
    return {
      message: `Field '${m[1]}' is missing required arguments: ${m[2]}`,
      ...base,
      extensions: { code: "missingRequiredArguments", className: "Field", name: m[1], arguments: m[2] },
    };
  }
  if ((m = /^Field "([^"]+)" of type "([^"]+)" must have a selection of subfields/.exec(msg))) {
    return {
      message: `Field must have selections (field '${m[1]}' returns ${m[2].replace(/[[\]!]/g, "")} but has no selections. Did you mean '${m[1]} { ... }'?)`,
      ...base,
      extensions: { code: "selectionMismatch", nodeName: `field '${m[1]}'`, typeName: m[2].replace(/[[\]!]/g, "") },
    };
  }
  if ((m = /^Field "([^"]+)" must not have a selection since type "([^"]+)" has no subfields/.exec(msg))) {
    return {
      message: `Selections can't be made on scalars (field '${m[1]}' returns ${m[2]} but has selections [...])`,
      ...base,
      extensions: { code: "selectionMismatch", nodeName: `field '${m[1]}'`, typeName: m[2] },
    };
  }
  if ((m = /^Variable "\$([^"]+)" is not defined/.exec(msg))) {
    return {
      message: `Variable $${m[1]} is used by anonymous query but not declared`,
      ...base,
      extensions: { code: "variableNotDefined", variableName: m[1] },
    };
  }
  if ((m = /^Variable "\$([^"]+)" is never used/.exec(msg))) {
    return {
      message: `Variable $${m[1]} is declared by anonymous query but not used`,
      ...base,
      extensions: { code: "variableNotUsed", variableName: m[1] },
    };
  }
  if ((m = /^Unknown type "([^"]+)"/.exec(msg))) {
    return { message: `No such type ${m[1]}, so it can't be a fragment condition`, ...base, extensions: { code: "undefinedType", typeName: m[1] } };
  }
  if ((m = /^Variable "\$([^"]+)" (?:of required type "([^"]+)" was not provided|got invalid value)(.*)/.exec(msg))) {
    return {
      message: `Variable $${m[1]}${m[2] ? ` of type ${m[2]}` : ""} was provided invalid value`,
      ...base,
      extensions: { value: null, problems: [{ path: [], explanation: (m[3] || "Expected value to not be null").replace(/^[;:]\s*/, "") }] },
    };
  }
  if (msg.startsWith("Syntax Error:")) {
    const loc = error.locations?.[0];
    return {
      message: `syntax error, ${msg.slice("Syntax Error:".length).trim()}${loc ? ` at [${loc.line}, ${loc.column}]` : ""}`,
      ...base,
    };
  }
  return { message: msg, ...base, ...(error.path ? { path: [...error.path] } : {}) };
}

export type ParseResult = { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: ShopifyGraphQLError[] };

/** Parses and validates a document against the Admin schema; errors come back in Shopify's shape. */
export function parseAndValidate(source: string): ParseResult {
  let document: DocumentNode;
  try {
    document = parse(source);
  } catch (error) {
    if (error instanceof GraphQLError) return { errors: [toShopifyError(error)] };
    throw error;
  }
  const errors = validate(adminSchema(), document);
  if (errors.length) return { errors: errors.map(toShopifyError) };
  return { document };
}
