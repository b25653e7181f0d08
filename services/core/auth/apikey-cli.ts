/**
 * `npm run apikey -- <command>`: make and register API keys without ever storing one.
 *
 *   create --name app-1 --scopes ingest[,query,admin] [--file keys.json]
 *       prints a fresh key once, and the record to register (appends it to --file).
 *   hash   reads a key on stdin, prints its sha256 (to register a key made elsewhere).
 */
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ApiKeyStore, generateApiKey, hashApiKey, parseApiKeyFile, SCOPES, type ApiKeyRecord, type Scope } from './keys.ts';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  readStdin: () => Promise<string>;
}

const USAGE = `usage:
  npm run apikey -- create --name <name> --scopes <${SCOPES.join('|')}>[,...] [--file <keys.json>]
  npm run apikey -- hash < key.txt
`;

/** Runs the CLI; returns the exit code. */
export async function runApiKeyCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'create') return create(rest, io);
    if (command === 'hash') {
      const key = (await io.readStdin()).trim();
      if (!key) throw new Error('no key on stdin');
      io.out(`${hashApiKey(key)}\n`);
      return 0;
    }
    io.err(USAGE);
    return 2;
  } catch (err) {
    io.err(`${(err as Error).message}\n`);
    return 1;
  }
}

function create(args: string[], io: CliIo): number {
  const { values } = parseArgs({ args, options: { name: { type: 'string' }, scopes: { type: 'string' }, file: { type: 'string' } }, strict: true });
  if (!values.name || !values.scopes) {
    io.err(USAGE);
    return 2;
  }
  const scopes = values.scopes.split(/[,+]/).map((s) => s.trim()).filter(Boolean);
  const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad.length > 0 || scopes.length === 0) throw new Error(`--scopes: ${bad.join(', ') || '(none)'} is not a scope; use ${SCOPES.join(', ')}`);

  const key = generateApiKey();
  const record: ApiKeyRecord = { name: values.name, scopes: scopes as Scope[], sha256: hashApiKey(key) };
  // Validate like the services will (name syntax), and against the file's other keys.
  const existing = values.file && existsSync(values.file) ? parseApiKeyFile(readFileSync(values.file, 'utf8'), values.file) : [];
  parseApiKeyFile(JSON.stringify([record]), '--name/--scopes');
  new ApiKeyStore([...existing, record]);

  if (values.file) {
    writeFileSync(values.file, `${JSON.stringify([...existing, record], null, 2)}\n`, { mode: 0o600 });
    chmodSync(values.file, 0o600);
  }
  io.out(
    [
      `API key "${record.name}" (scopes: ${record.scopes.join(', ')}). It is shown only this once; only its sha256 is stored:`,
      '',
      `  ${key}`,
      '',
      'Clients send it as  Authorization: Bearer <key>  (or X-API-Key: <key>).',
      values.file
        ? `Added to ${values.file}; point API_KEYS_FILE at it and restart the services.`
        : [
            `Add this to the API_KEYS_FILE JSON array:\n  ${JSON.stringify(record)}`,
            `or to API_KEYS (comma-separated):\n  ${record.name}:${record.scopes.join('+')}:${record.sha256}`,
          ].join('\n'),
      '',
    ].join('\n'),
  );
  return 0;
}
