// index.d.ts against the server's JSON Schema of the protocol (GET /api/v1/protocol.json,
// protocol §5): the same message types both ways, each with the same fields, required
// where the schema requires them. Messages the library declares ahead of the server are
// listed in AHEAD with the reason, and must be missing from the schema.

import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import ts from "typescript";

import { startParlor } from "./helpers.js";

const here = path.dirname(fileURLToPath(import.meta.url));

test("index.d.ts matches the server's JSON Schema (GET /api/v1/protocol.json)", async (t) => {
  const node = await startParlor();
  t.after(() => node.kill("SIGKILL"));
  const res = await fetch(`${node.http}/api/v1/protocol.json`);
  if (res.status === 404) {
    const why = "the server does not serve /api/v1/protocol.json yet (protocol §5): 404";
    console.log(`schema test skipped: ${why}`);
    t.skip(why);
    return;
  }
  assert.equal(res.status, 200);
  const schema = await res.json();
  const types = declaredMessages();
  for (const union of ["ClientMessage", "ServerMessage"]) {
    const fromSchema = schemaMessages(schema, union);
    const fromTypes = types[union];
    // Messages of protocol v1.2 the library declares ahead of the server. Each must be
    // absent from the schema: once the server sends or reads it, it leaves this list and
    // is compared like every other message.
    for (const [type, why] of AHEAD[union]) {
      assert.ok(!fromSchema.has(type), `${union} "${type}" is in the schema now: drop it from AHEAD`);
      assert.ok(fromTypes.delete(type), `${union} "${type}" is in AHEAD but not in index.d.ts`);
      console.log(`schema test: ${union} "${type}" not compared: ${why}`);
    }
    assert.deepEqual(
      [...fromTypes.keys()].sort(),
      [...fromSchema.keys()].sort(),
      `${union}: the message types of index.d.ts and of the schema`,
    );
    for (const [type, fields] of fromSchema) {
      assert.deepEqual(fromTypes.get(type), fields, `${union} "${type}": fields (name → required)`);
    }
  }
});

/** What the library declares that the server does not implement yet, and why. */
const AHEAD = {
  ClientMessage: new Map(),
  ServerMessage: new Map(),
};

/**
 * Each message of the ClientMessage and ServerMessage unions of index.d.ts:
 * type → {field: required}.
 */
function declaredMessages() {
  const file = path.join(here, "..", "index.d.ts");
  const program = ts.createProgram([file], { strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = /** @type {ts.SourceFile} */ (program.getSourceFile(file));
  /** @type {Record<string, Map<string, Record<string, boolean>>>} */
  const out = {};
  ts.forEachChild(source, (n) => {
    if (!ts.isTypeAliasDeclaration(n) || !["ClientMessage", "ServerMessage"].includes(n.name.text)) return;
    const union = checker.getTypeAtLocation(n);
    const map = new Map();
    for (const member of union.isUnion() ? union.types : [union]) {
      /** @type {Record<string, boolean>} */
      const fields = {};
      let type = "";
      for (const prop of checker.getPropertiesOfType(member)) {
        fields[prop.name] = (prop.flags & ts.SymbolFlags.Optional) === 0;
        if (prop.name === "type") {
          const t = checker.getTypeOfSymbolAtLocation(prop, n);
          type = t.isStringLiteral() ? t.value : "";
        }
      }
      map.set(type, sortKeys(fields));
    }
    out[n.name.text] = map;
  });
  return out;
}

/**
 * Each message of `$defs[name]` (a oneOf/anyOf of message schemas, inline or by $ref):
 * type → {field: required}.
 * @param {any} schema @param {string} name
 */
function schemaMessages(schema, name) {
  const resolve = (/** @type {any} */ s) => {
    while (s && s.$ref) s = s.$ref.split("/").slice(1).reduce((/** @type {any} */ o, /** @type {string} */ k) => o[k], schema);
    return s;
  };
  const top = resolve(schema.$defs?.[name]);
  assert.ok(top, `the schema has $defs/${name}`);
  const map = new Map();
  for (const member of (top.oneOf || top.anyOf || []).map(resolve)) {
    const parts = [member, ...(member.allOf || []).map(resolve)];
    /** @type {Record<string, boolean>} */
    const fields = {};
    let type = "";
    for (const part of parts) {
      const required = new Set(part.required || []);
      for (const [prop, def] of Object.entries(part.properties || {})) {
        fields[prop] = required.has(prop) || fields[prop] === true;
        const d = resolve(def);
        if (prop === "type") type = d.const ?? (d.enum && d.enum[0]) ?? "";
      }
    }
    map.set(type, sortKeys(fields));
  }
  return map;
}

/** @param {Record<string, boolean>} o */
function sortKeys(o) {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

export { declaredMessages, schemaMessages };
