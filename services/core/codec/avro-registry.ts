import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { ErrorCodes, PipelineError } from '../errors.ts';

/**
 * A local schema registry: schema ids (Confluent framing) ↔ .avsc files, as listed in
 * schemas/avro/registry.json. The newest version of a subject is the reader schema;
 * bytes written with any older id are resolved into it (avsc reader/writer resolution).
 */
export const DEFAULT_SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../schemas/avro');
const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

interface RegistryFile {
  subjects: Record<string, { id: number; file: string; requires?: string[] }[]>;
}

export interface AvroRegistry {
  /** Encode with the subject's newest schema, Confluent-framed. */
  encode(subject: string, value: unknown): Buffer;
  /** Decode a Confluent-framed buffer into the subject's newest (reader) schema. */
  decode(subject: string, buf: Buffer): unknown;
  /**
   * The Confluent-framed bytes of `buf`: with `encodeOnDemand`, a Buffer `encode` returned
   * holds no bytes until asked here (then encoded once); any other Buffer is returned as
   * it is. Whatever writes a message's bytes somewhere (the DLQ table, a file) asks here.
   */
  bytes(buf: Buffer): Buffer;
  /** Whether `buf` came from this registry's `encode` and is remembered (rememberEncoded). */
  remembers(buf: Buffer): boolean;
  latestId(subject: string): number;
  type(subject: string): avro.Type;
}

export function isConfluentFramed(buf: Buffer): boolean {
  return buf.length >= HEADER_BYTES && buf[0] === MAGIC_BYTE;
}

export interface RegistryOptions {
  /**
   * In-process shortcut (the embedded pipeline, where every stage shares one registry and
   * the in-process bus hands the very Buffer a stage encoded to the next ones): `encode`
   * deep-freezes the value and remembers it by the Buffer's identity, and `decode` of that
   * same Buffer returns it instead of parsing the bytes again. A Buffer from anywhere else
   * (Kafka, a file, a copy) is decoded as usual. Default false.
   */
  rememberEncoded?: boolean;
  /**
   * With rememberEncoded, in a process where no stage reads the bytes of what another
   * stage encoded (the embedded pipeline): `encode` returns an empty placeholder Buffer
   * and defers the Avro encoding until `bytes()` asks for it, which only a dead letter
   * ever does. Values are still deep-frozen. Default false.
   */
  encodeOnDemand?: boolean;
}

/** Freezes a value and every plain object / array inside it (values from `encode`). */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value) || Buffer.isBuffer(value)) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}

export function loadAvroRegistry(dir: string = DEFAULT_SCHEMA_DIR, options: RegistryOptions = {}): AvroRegistry {
  let scratch = Buffer.allocUnsafe(64 * 1024);
  const remembered = options.rememberEncoded ? new WeakMap<Buffer, { subject: string; value: unknown; bytes?: Buffer }>() : null;
  const onDemand = remembered !== null && options.encodeOnDemand === true;
  const file = JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8')) as RegistryFile;
  const byId = new Map<number, { subject: string; type: avro.Type }>();
  const latest = new Map<string, { id: number; type: avro.Type }>();
  const resolvers = new Map<string, avro.Resolver>(); // `${subject}:${writerId}`

  for (const [subject, versions] of Object.entries(file.subjects)) {
    for (const v of versions) {
      const registry: Record<string, avro.Type> = {};
      for (const dep of v.requires ?? []) avro.Type.forSchema(readSchema(dir, dep), { registry, omitRecordMethods: true });
      const type = avro.Type.forSchema(readSchema(dir, v.file), { registry, omitRecordMethods: true });
      byId.set(v.id, { subject, type });
      const current = latest.get(subject);
      if (!current || v.id > current.id) latest.set(subject, { id: v.id, type });
    }
  }

  function reader(subject: string): { id: number; type: avro.Type } {
    const r = latest.get(subject);
    if (!r) throw new Error(`unknown Avro subject "${subject}"`);
    return r;
  }

  function encodeNow(subject: string, value: unknown): Buffer {
    const { id, type } = reader(subject);
    // Encoded straight after the header in a scratch buffer (grown when too small), then
    // copied out once.
    let end = type.encode(value, scratch, HEADER_BYTES);
    if (end < 0) {
      scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
      end = type.encode(value, scratch, HEADER_BYTES);
    }
    const out = Buffer.allocUnsafe(end);
    scratch.copy(out, 0, 0, end);
    out[0] = MAGIC_BYTE;
    out.writeUInt32BE(id, 1);
    return out;
  }

  return {
    encode(subject, value) {
      if (onDemand) {
        reader(subject); // an unknown subject fails here, as it would encoding
        const placeholder = Buffer.alloc(0);
        remembered!.set(placeholder, { subject, value: deepFreeze(value) });
        return placeholder;
      }
      const out = encodeNow(subject, value);
      remembered?.set(out, { subject, value: deepFreeze(value) });
      return out;
    },
    bytes(buf) {
      const known = remembered?.get(buf);
      if (known === undefined || buf.length > 0) return buf;
      known.bytes ??= encodeNow(known.subject, known.value);
      return known.bytes;
    },
    remembers: (buf) => remembered?.has(buf) ?? false,
    decode(subject, buf) {
      const known = remembered?.get(buf);
      if (known !== undefined && known.subject === subject) return known.value;
      if (!isConfluentFramed(buf)) {
        throw new PipelineError(ErrorCodes.DECODE_FAILED, 'not Confluent-framed Avro: expected magic byte 0 and a 4-byte schema id');
      }
      const id = buf.readUInt32BE(1);
      const writer = byId.get(id);
      if (!writer || writer.subject !== subject) {
        throw new PipelineError(ErrorCodes.UNKNOWN_SCHEMA_ID, `unknown schema id ${id} for subject "${subject}" (see schemas/avro/registry.json)`);
      }
      const r = reader(subject);
      const body = buf.subarray(HEADER_BYTES);
      try {
        if (id === r.id) return r.type.fromBuffer(body);
        const key = `${subject}:${id}`;
        let resolver = resolvers.get(key);
        if (!resolver) resolvers.set(key, (resolver = r.type.createResolver(writer.type)));
        return r.type.fromBuffer(body, resolver);
      } catch (err) {
        throw new PipelineError(ErrorCodes.DECODE_FAILED, `Avro body does not match schema id ${id}: ${(err as Error).message}`, { cause: err });
      }
    },
    latestId(subject) {
      return reader(subject).id;
    },
    type(subject) {
      return reader(subject).type;
    },
  };
}

function readSchema(dir: string, file: string): avro.Schema {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as avro.Schema;
}
