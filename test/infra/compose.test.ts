import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** docker-compose.yml must parse (Debian's docker-compose v1 validates it offline; .ci/run installs it). */
const REPO = join(import.meta.dirname, '../..');

test('docker-compose.yml parses and runs every distributed service from the one Dockerfile', () => {
  const r = spawnSync('docker-compose', ['-f', join(REPO, 'docker-compose.yml'), 'config'], { encoding: 'utf8', cwd: REPO });
  assert.equal(r.error, undefined, `docker-compose not runnable (bash .ci/run installs it): ${r.error?.message}`);
  assert.equal(r.status, 0, r.stderr);
  for (const service of ['kafka', 'clickhouse', 'ingest', 'enricher', 'writer', 'evaluator', 'anomaly', 'query']) {
    assert.match(r.stdout, new RegExp(`^  ${service}:`, 'm'), `service ${service}`);
  }
  assert.match(r.stdout, /dockerfile: infra\/Dockerfile/);
  assert.match(r.stdout, /KAFKA_PROCESS_ROLES: broker,controller/, 'Kafka runs in KRaft mode');
  assert.ok(existsSync(join(REPO, 'infra/Dockerfile')));
  assert.match(readFileSync(join(REPO, 'infra/Dockerfile'), 'utf8'), /services\/service-main\.ts/);
});
