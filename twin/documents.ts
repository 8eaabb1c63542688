// Finds the Admin GraphQL documents in source code (Shopify's convention: a template literal that
// begins with `#graphql`, or a .graphql file) and validates them against the vendored schema.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { parseAndValidate, type ShopifyGraphQLError } from "./schema.ts";

export interface FoundDocument {
  file: string;
  line: number;
  source: string;
  /** Set when an interpolation could not be resolved to a constant in the same file. */
  unresolved?: string;
}

export interface DocumentProblem extends FoundDocument {
  errors: ShopifyGraphQLError[];
}

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules" || entry === "generated" || entry.startsWith(".")) continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.(ts|tsx|js|jsx|graphql|gql)$/.test(entry) && !/\.test\.(ts|tsx)$/.test(entry)) out.push(full);
  }
  return out;
}

/** `#graphql` template literals of one TS/JS source; `${name}` resolves to same-file constants. */
export function findDocumentsInSource(file: string, text: string): FoundDocument[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith("x") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const constants = new Map<string, ts.Expression>();
  const visitDecl = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) constants.set(node.name.text, node.initializer);
    ts.forEachChild(node, visitDecl);
  };
  visitDecl(sf);
  const evaluate = (expr: ts.Expression, depth = 0): string | null => {
    if (depth > 10) return null;
    if (ts.isNoSubstitutionTemplateLiteral(expr) || ts.isStringLiteral(expr)) return expr.text;
    if (ts.isTemplateExpression(expr)) {
      let s = expr.head.text;
      for (const span of expr.templateSpans) {
        const v = evaluate(span.expression, depth + 1);
        if (v === null) return null;
        s += v + span.literal.text;
      }
      return s;
    }
    if (ts.isIdentifier(expr)) {
      const init = constants.get(expr.text);
      return init ? evaluate(init, depth + 1) : null;
    }
    if (ts.isAsExpression(expr) || ts.isParenthesizedExpression(expr)) return evaluate(expr.expression, depth + 1);
    return null;
  };
  const found: FoundDocument[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) && !ts.isTaggedTemplateExpression(node.parent)) {
      const head = ts.isNoSubstitutionTemplateLiteral(node) ? node.text : node.head.text;
      if (head.trimStart().startsWith("#graphql")) {
        const line = sf.getLineAndCharacterOfPosition(node.getStart()).line + 1;
        const value = evaluate(node);
        if (value === null) found.push({ file, line, source: head, unresolved: node.getText().slice(0, 80) });
        else found.push({ file, line, source: value });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Every Admin document under `root` (test files excluded). */
export function findDocuments(root: string): FoundDocument[] {
  const docs: FoundDocument[] = [];
  for (const file of walk(root)) {
    const text = readFileSync(file, "utf8");
    if (/\.(graphql|gql)$/.test(file)) docs.push({ file, line: 1, source: text });
    else if (text.includes("#graphql")) docs.push(...findDocumentsInSource(file, text));
  }
  return docs;
}

/**
 * Validates documents against the Admin schema. Fragment-only documents (no operation) are
 * checked together with the operations of the same file that spread them.
 */
export function validateDocuments(docs: FoundDocument[]): DocumentProblem[] {
  const problems: DocumentProblem[] = [];
  for (const doc of docs) {
    if (doc.unresolved) {
      problems.push({ ...doc, errors: [{ message: `interpolation not resolvable to a constant: ${doc.unresolved}` }] });
      continue;
    }
    const body = doc.source.replace(/^\s*#graphql/, "");
    const isFragmentOnly = /^\s*fragment\s/.test(body) && !/(^|\n)\s*(query|mutation|subscription|\{)/.test(body.replace(/fragment[\s\S]*?\{/, ""));
    if (isFragmentOnly) continue;
    const result = parseAndValidate(doc.source);
    if (result.errors) problems.push({ ...doc, errors: result.errors });
  }
  return problems;
}
