#!/usr/bin/env node
// chDB ships its engine as per-platform optional packages (@chdb/lib-<os>-<cpu>). The npm
// registry reachable from our machines only serves the linux-x64 one, so `npm install`
// writes a lock without the others and `npm ci` then refuses the lock ("Missing: …").
// This re-adds lock entries for the other platforms (npm skips them by os/cpu and never
// fetches them here). Run it after any `npm install`: node scripts/lock-optional-platforms.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const chdb = lock.packages['node_modules/chdb'];
const platforms = { 'lib-darwin-arm64': ['darwin', 'arm64'], 'lib-darwin-x64': ['darwin', 'x64'], 'lib-linux-arm64-gnu': ['linux', 'arm64'], 'lib-linux-x64-gnu': ['linux', 'x64'] };
let added = 0;
for (const [name, version] of Object.entries(chdb.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [os, cpu] = platforms[name.replace('@chdb/', '')] ?? [];
  if (!os) throw new Error(`unknown chDB platform package ${name}`);
  lock.packages[key] = { version, cpu: [cpu], optional: true, os: [os], ...(os === 'linux' ? { libc: ['glibc'] } : {}) };
  added++;
}
const [root, ...rest] = Object.entries(lock.packages);
lock.packages = Object.fromEntries([root, ...rest.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} chDB platform entr${added === 1 ? 'y' : 'ies'} added`);
