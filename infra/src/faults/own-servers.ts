// Test support: a Kafka broker and a Postgres server of the test's own, on free ports, that it may crash and restart.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { eventually } from '@qts/adapters/testing';

const repo = resolve(import.meta.dirname, '../../..');

/** A port nobody listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
  });
}

export interface KafkaNode {
  readonly brokers: string[];
  readonly dir: string;
  /** Starts the broker (again, on the same data dir) and waits until a client sees it in the cluster metadata. */
  start(): Promise<void>;
  /** SIGKILL: a crash, nothing flushed. SIGTERM: a controlled shutdown. Resolves when the JVM is gone. */
  stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Stops it for good and removes its data. */
  destroy(): Promise<void>;
}

/** A single-node KRaft broker run by infra/scripts/kafka-node.sh (the script services.sh runs the shared one with). */
export async function ownKafkaNode(): Promise<KafkaNode> {
  const dir = mkdtempSync(join(tmpdir(), 'qts-kafka-node-'));
  const port = await freePort();
  const controllerPort = await freePort();
  const brokers = [`127.0.0.1:${port}`];
  let child: ChildProcess | null = null;
  let starts = 0;
  const node: KafkaNode = {
    brokers, dir,
    async start() {
      const log = openSync(join(dir, `server-${++starts}.log`), 'w');
      // Smaller heap than the shared broker: the test's broker holds a few thousand messages.
      const proc = spawn('bash', [join(repo, 'infra/scripts/kafka-node.sh'), dir, String(port), String(controllerPort)], {
        stdio: ['ignore', log, log], env: { ...process.env, QTS_KAFKA_HEAP: '-Xms64m -Xmx256m' },
      });
      child = proc;
      // A test run cut short (timeout, Ctrl-C) must not leave a broker behind.
      process.once('exit', () => proc.kill('SIGKILL'));
      const admin = new Kafka({ clientId: 'qts-fault-probe', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 2000, requestTimeout: 4000, retry: { retries: 0 } }).admin();
      try {
        await eventually(async () => {
          if (proc.exitCode !== null) throw new Error(`kafka-node exited ${proc.exitCode}:\n${readFileSync(join(dir, `server-${starts}.log`), 'utf8').slice(-3000)}`);
          await admin.connect();
          const cluster = await admin.describeCluster();
          if (cluster.brokers.length === 0) throw new Error('no broker registered yet');
        }, { timeoutMs: 90_000, intervalMs: 500 });
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    async stop(signal) {
      const c = child;
      if (!c) return;
      c.kill(signal);
      await exited(c);
      child = null;
    },
    async destroy() {
      await node.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return node;
}

const isRoot = process.getuid?.() === 0;

function pgBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'postgres'))).sort((a, b) => Number(a) - Number(b)) : [];
  if (versions.length === 0) throw new Error('no Postgres server binaries under /usr/lib/postgresql (run: bash infra/scripts/services.sh up)');
  return join(base, versions[versions.length - 1]!, 'bin');
}

/** Postgres refuses to run as root: as root its tools run as the postgres OS user, as services.sh does. */
function asPg(cmd: string, args: string[]): string {
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return execFileSync(file, argv, { cwd: '/', encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface PostgresNode {
  /** postgres://qts:qts@127.0.0.1:PORT/qts */
  readonly url: string;
  start(): Promise<void>;
  /** 'immediate' is a crash (no checkpoint, WAL recovery on the next start); 'fast' a clean shutdown. */
  stop(mode: 'immediate' | 'fast'): Promise<void>;
  destroy(): Promise<void>;
}

/** A Postgres server of its own (initdb + pg_ctl into a temp dir, another port). */
export async function ownPostgresNode(): Promise<PostgresNode> {
  const bin = pgBin();
  const dir = mkdtempSync(join(tmpdir(), 'qts-pg-node-'));
  if (isRoot) chownSync(dir, ...pgIds());
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const port = await freePort();
  asPg(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--auth=trust', '-N']);
  const conf = join(dir, 'qts.conf');
  writeFileSync(conf, [
    `listen_addresses = '127.0.0.1'`, `port = ${port}`, `unix_socket_directories = ''`, 'max_connections = 50',
    'fsync = off', 'synchronous_commit = off', 'full_page_writes = off', `timezone = 'UTC'`, 'log_min_messages = warning', '',
  ].join('\n'));
  if (isRoot) chownSync(conf, ...pgIds());
  asPg('sh', ['-c', `echo "include '${conf}'" >> ${data}/postgresql.conf`]);
  const log = join(dir, 'server.log');
  const url = `postgres://qts:qts@127.0.0.1:${port}/qts`;
  let created = false;
  const node: PostgresNode = {
    url,
    async start() {
      asPg(join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-w', '-t', '60', 'start']);
      if (!created) {
        // A test run cut short (timeout, Ctrl-C) must not leave a server behind.
        process.once('exit', () => { try { asPg(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']); } catch { /* already down */ } });
      }
      if (created) return;
      const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
      await admin.connect();
      await admin.query(`create role qts login superuser password 'qts'`);
      await admin.query('create database qts owner qts');
      await admin.end();
      created = true;
    },
    async stop(mode) {
      asPg(join(bin, 'pg_ctl'), ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    },
    async destroy() {
      try { asPg(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']); } catch { /* not running */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return node;
}

function pgIds(): [number, number] {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return [uid, gid];
}
