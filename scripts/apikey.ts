import { runApiKeyCli } from '../services/core/auth/apikey-cli.ts';

/** `npm run apikey -- create --name app-1 --scopes ingest [--file keys.json]` | `hash < key.txt` (see services/core/auth/apikey-cli.ts). */
process.exitCode = await runApiKeyCli(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
});
