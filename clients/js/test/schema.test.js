// index.d.ts against the server's JSON Schema of the protocol (GET /api/v1/protocol.json,
// protocol §5): the same message types both ways, each with the same fields, required
// where the schema requires them and nullable where it allows null; the same for the
// shapes messages carry (a player, `you`, a room), and the same values for the closed
// sets (error codes, why a member was kicked or a room closed). Messages the library
// declares ahead of the server are listed in AHEAD with the reason, and must be missing
// from the schema.

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
  assert.equal(res.status, 200);
  const schema = await res.json();
  const { messages: types, shapes, literals } = declared();
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
      assert.deepEqual(fromTypes.get(type), fields, `${union} "${type}": fields (name → required, nullable)`);
    }
  }
  for (const [name, def] of SHAPES) {
    assert.deepEqual(shapes.get(name), schemaFields(schema, schema.$defs[def]), `${name} (schema ${def}): fields`);
  }
  for (const [name, [def, prop]] of LITERALS) {
    const d = resolveIn(schema, prop ? schema.$defs[def].properties[prop] : schema.$defs[def]);
    const values = d.enum ?? (d.oneOf || []).map((/** @type {any} */ v) => v.const);
    assert.deepEqual(literals.get(name), [...values].sort(), `${name} (schema ${def}${prop ? `.${prop}` : ""}): values`);
  }
});

/** Interfaces of index.d.ts → the schema's definition of the same shape. */
const SHAPES = new Map([
  ["Player", "PlayerInfo"],
  ["You", "You"],
  ["RoomSummary", "RoomSummary"],
  ["RoomSnapshot", "RoomSnapshot"],
]);

/** String-literal unions of index.d.ts → the schema's enum (a definition, or one of its properties). */
const LITERALS = new Map([
  ["ServerErrorCode", ["ErrorCode", null]],
  ["KickedReason", ["ServerKicked", "reason"]],
  ["RoomClosedReason", ["ServerRoomClosed", "reason"]],
]);

/** What the library declares that the server does not implement yet, and why. */
const AHEAD = {
  ClientMessage: new Map(),
  ServerMessage: new Map(),
};

/**
 * What index.d.ts declares: each message of the ClientMessage and ServerMessage unions
 * (type → fields), the fields of each interface in SHAPES, and the values of each union
 * in LITERALS, each field as `field` writes it.
 */
function declared() {
  const file = path.join(here, "..", "index.d.ts");
  const program = ts.createProgram([file], { strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = /** @type {ts.SourceFile} */ (program.getSourceFile(file));
  /** @param {ts.Type} t @param {ts.Node} at */
  const fieldsOf = (t, at) => {
    /** @type {Record<string, string>} */
    const fields = {};
    for (const prop of checker.getPropertiesOfType(t)) {
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      const pt = checker.getTypeOfSymbolAtLocation(prop, at);
      const nullable = (pt.isUnion() ? pt.types : [pt]).some((x) => (x.flags & ts.TypeFlags.Null) !== 0);
      fields[prop.name] = field(!optional, nullable);
    }
    return sortKeys(fields);
  };
  /** @type {Record<string, Map<string, Record<string, string>>>} */
  const messages = {};
  const shapes = new Map();
  const literals = new Map();
  ts.forEachChild(source, (n) => {
    if (!(ts.isTypeAliasDeclaration(n) || ts.isInterfaceDeclaration(n))) return;
    const name = n.name.text;
    const t = checker.getTypeAtLocation(n);
    if (SHAPES.has(name)) shapes.set(name, fieldsOf(t, n));
    if (LITERALS.has(name)) {
      literals.set(name, (t.isUnion() ? t.types : [t]).map((x) => (x.isStringLiteral() ? x.value : "?")).sort());
    }
    if (!["ClientMessage", "ServerMessage"].includes(name)) return;
    const map = new Map();
    for (const member of t.isUnion() ? t.types : [t]) {
      const typeProp = checker.getPropertyOfType(member, "type");
      const tt = typeProp && checker.getTypeOfSymbolAtLocation(typeProp, n);
      map.set(tt && tt.isStringLiteral() ? tt.value : "", fieldsOf(member, n));
    }
    messages[name] = map;
  });
  return { messages, shapes, literals };
}

/**
 * How a field is compared. Null is told apart only for required fields: an optional one
 * is an Option on the server, which reads a null as absent, and the library never sends
 * nor expects one.
 * @param {boolean} required @param {boolean} nullable
 */
function field(required, nullable) {
  if (!required) return "optional";
  return nullable ? "required nullable" : "required";
}

/** Follow `$ref`s within `schema`. @param {any} schema @param {any} s */
function resolveIn(schema, s) {
  while (s && s.$ref) s = s.$ref.split("/").slice(1).reduce((/** @type {any} */ o, /** @type {string} */ k) => o[k], schema);
  return s;
}

/** Whether a property's schema allows null. @param {any} schema @param {any} def */
function allowsNull(schema, def) {
  const d = resolveIn(schema, def);
  if (!d) return false;
  if (d.type === "null" || (Array.isArray(d.type) && d.type.includes("null"))) return true;
  return [...(d.anyOf || []), ...(d.oneOf || [])].some((x) => allowsNull(schema, x));
}

/**
 * An object schema's fields (with its allOf parts), each as `field` writes it.
 * @param {any} schema @param {any} def
 */
function schemaFields(schema, def) {
  const top = resolveIn(schema, def);
  const parts = [top, ...(top.allOf || []).map((/** @type {any} */ p) => resolveIn(schema, p))];
  /** @type {Record<string, {required: boolean, nullable: boolean}>} */
  const acc = {};
  for (const part of parts) {
    const required = new Set(part.required || []);
    for (const [prop, d] of Object.entries(part.properties || {})) {
      const was = acc[prop] || { required: false, nullable: false };
      acc[prop] = { required: was.required || required.has(prop), nullable: was.nullable || allowsNull(schema, d) };
    }
  }
  return sortKeys(Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, field(v.required, v.nullable)])));
}

/**
 * Each message of `$defs[name]` (a oneOf/anyOf of message schemas, inline or by $ref):
 * type → fields as schemaFields reads them.
 * @param {any} schema @param {string} name
 */
function schemaMessages(schema, name) {
  const top = resolveIn(schema, schema.$defs?.[name]);
  assert.ok(top, `the schema has $defs/${name}`);
  const map = new Map();
  for (const member of (top.oneOf || top.anyOf || []).map((/** @type {any} */ m) => resolveIn(schema, m))) {
    const parts = [member, ...(member.allOf || []).map((/** @type {any} */ p) => resolveIn(schema, p))];
    const typeDef = parts.map((p) => p.properties?.type).find(Boolean);
    const d = resolveIn(schema, typeDef) || {};
    map.set(d.const ?? (d.enum && d.enum[0]) ?? "", schemaFields(schema, member));
  }
  return map;
}

/** @template T @param {Record<string, T>} o */
function sortKeys(o) {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

export { declared, schemaMessages };
