// docker-compose.yml and the Dockerfile, checked without an engine: real `docker compose config`, every command parsed by the real CLI, the image's contents traced from its entry point.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { qtsProgram } from '../cli/main.ts';
import { workerRegistry } from '../cli/worker.ts';
import { workerNames } from '../runtime/compose.ts';
import { RuntimeConfig } from '../runtime/config.ts';
import { refuseUnsupportedLive } from '../workers/live-executor-wiring.ts';
import { composeCli, composeConfig, repoRoot, type ComposeCli, type ComposeModel } from './compose-cli.ts';
import { checkCompose, parseQtsCommand, qtsServices, type QtsCli } from './compose-check.ts';
import { parseDockerfile, type DockerStage } from './dockerfile.ts';
import { entryGraph, imageFiles, layOutStage, lockedForProduction, productionDependencies } from './image-check.ts';

const cli: QtsCli = { program: qtsProgram, workers: Object.keys(workerRegistry) };
const read = (p: string): string => readFileSync(resolve(repoRoot, p), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'qts-compose-'));

let compose: ComposeCli;
let model: ComposeModel;
let runtime: DockerStage;

/** A copy of the model with one service changed, for the checks that must fail. */
function withService(name: string, change: (s: Record<string, unknown>) => Record<string, unknown>): ComposeModel {
  const copy = structuredClone(model) as { services: Record<string, Record<string, unknown>> };
  copy.services[name] = change(copy.services[name]!);
  return copy as unknown as ComposeModel;
}

beforeAll(() => {
  compose = composeCli();
  const config = composeConfig(compose, { files: ['docker-compose.yml'], envFile: '.env.example' });
  if (!config.ok) throw new Error(`docker compose config rejected docker-compose.yml:\n${config.error}`);
  model = config.model;
  const stages = parseDockerfile(read('Dockerfile'));
  runtime = stages.find((s) => s.name === 'runtime')!;
}, 300_000);

describe('docker compose config (Compose v2, no engine)', () => {
  it('runs the real Compose v2 CLI', () => {
    expect(compose.version).toMatch(/v2\.\d+\.\d+/);
  });

  it('accepts docker-compose.yml with .env.example, and the live overlay on top', () => {
    expect(Object.keys(model.services).sort()).toEqual(['api', 'eventstore', 'executor', 'ingest', 'kafka', 'ml', 'notifier', 'postgres', 'projector', 'recorder', 'strategy']);
    const live = composeConfig(compose, { files: ['docker-compose.yml', 'infra/docker/compose.live.yml'], envFile: '.env.example' });
    expect(live.ok ? null : live.error).toBeNull();
    if (live.ok) expect(live.model.services.executor!.environment!.QTS_EXCHANGE_API_KEY_FILE).toBe('/run/secrets/exchange_api_key');
  });

  it('is a real validator: an unknown key and a missing secret are refused', () => {
    const bad = join(scratch, 'bad.yml');
    writeFileSync(bad, read('docker-compose.yml').replace('    restart: unless-stopped\n', '    restart: unless-stopped\n    restartt: always\n'));
    const typo = composeConfig(compose, { files: [bad], envFile: resolve(repoRoot, '.env.example'), cwd: repoRoot });
    expect(typo.ok ? 'accepted' : typo.error).toMatch(/restartt/);
    const empty = join(scratch, 'empty.env');
    writeFileSync(empty, '');
    const unset = composeConfig(compose, { files: ['docker-compose.yml'], envFile: empty });
    expect(unset.ok ? 'accepted' : unset.error).toMatch(/POSTGRES_PASSWORD/);
  });
});

describe('services', () => {
  it('every service restarts, reports health, keeps data in named volumes; every qts command parses with the CLI', async () => {
    expect(await checkCompose(model, cli)).toEqual([]);
  });

  it('runs every worker of the composition root as its own service from the one image', () => {
    const qts = qtsServices(model);
    const ran = qts.map((s) => model.services[s]!.command!.slice(0, 2).join(' '));
    // The composition root's distributed workers that the CLI can run (a name the CLI does not know yet cannot be deployed).
    const deployable = workerNames.filter((w) => cli.workers.includes(w));
    expect(deployable).toEqual(expect.arrayContaining(['ingest', 'strategy', 'executor', 'recorder', 'projector', 'api']));
    for (const w of deployable) expect(ran, `worker '${w}' has no service in docker-compose.yml: add one as 'strategy' is`).toContain(`worker ${w}`);
    expect(new Set(qts.map((s) => model.services[s]!.image)).size).toBe(1);
    for (const s of qts) expect(model.services[s]!.build!.target).toBe('runtime');
  });

  it('fails a service that names a worker the CLI does not have', async () => {
    const problems = await checkCompose(withService('strategy', (s) => ({ ...s, command: ['worker', 'strategie', '--health-port', '9464'] })), cli);
    expect(problems).toEqual([{ service: 'strategy', problem: expect.stringMatching(/'qts worker strategie': no such worker/) }]);
  });

  it('fails unknown commands and options, a missing health check, restart policy or named volume', async () => {
    const cases: [string, (s: Record<string, unknown>) => Record<string, unknown>, RegExp][] = [
      ['executor', (s) => ({ ...s, command: ['wroker', 'executor'] }), /not a qts command/],
      ['executor', (s) => ({ ...s, command: ['worker', 'executor', '--health-prot', '9464'] }), /unknown option/],
      ['executor', (s) => ({ ...s, command: ['worker', 'executor', '--health-port', '9000'] }), /health port 9000/],
      ['recorder', (s) => ({ ...s, healthcheck: { disable: true } }), /no health check/],
      ['projector', (s) => ({ ...s, restart: 'no' }), /does not restart/],
      ['postgres', (s) => ({ ...s, volumes: [{ type: 'bind', source: '/srv/pg', target: '/var/lib/postgresql/data' }] }), /bind mount/],
    ];
    for (const [service, change, expected] of cases) {
      const problems = await checkCompose(withService(service, change), cli);
      expect(problems.map((p) => `${p.service}: ${p.problem}`).join('\n')).toMatch(expected);
    }
  });

  it('parses commands exactly as the CLI would (the worker name and its flags)', async () => {
    const parsed = await parseQtsCommand(cli, ['worker', 'strategy', '--group', 'g1', '--health-port', '9464']);
    expect(parsed.ok && parsed.path).toEqual(['worker']);
    expect(parsed.ok && parsed.args.slice(0, 2)).toEqual(['strategy', { group: 'g1', healthPort: '9464' }]);
  });

  it('orders the start: workers wait for healthy servers, ingest for its consumers', () => {
    for (const s of qtsServices(model)) {
      for (const dep of ['kafka', 'eventstore', 'postgres']) expect(model.services[s]!.depends_on?.[dep]?.condition).toBe('service_healthy');
    }
    for (const dep of ['recorder', 'strategy', 'ml', 'executor']) expect(model.services.ingest!.depends_on?.[dep]?.condition).toBe('service_healthy');
    // Topics come only from the workers' ensureTopics (partition counts ours), never from the broker's auto-creation.
    expect(model.services.kafka!.environment!.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
  });

  it('points every worker at the servers the file runs, and opens its health and metrics port to the network', () => {
    const kafka = model.services.kafka!.environment!;
    // The image refuses KRaft mode without a cluster id; the listener the workers dial must be advertised.
    expect(kafka.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(kafka.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    const pg = model.services.postgres!.environment!;
    for (const s of qtsServices(model)) {
      const env = model.services[s]!.environment!;
      for (const broker of env.KAFKA_BROKERS!.split(',')) expect(kafka.KAFKA_ADVERTISED_LISTENERS!.split(',')).toContain(`INTERNAL://${broker}`);
      const esdb = new URL(env.ESDB_URL!);
      expect([esdb.protocol, esdb.hostname in model.services, esdb.searchParams.get('tls')]).toEqual(['esdb:', true, 'false']);
      const url = new URL(env.PG_URL!);
      expect([url.hostname, url.username, decodeURIComponent(url.password), url.pathname]).toEqual(['postgres', pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, `/${pg.POSTGRES_DB}`]);
      // The health port serves /metrics: a worker listening on loopback only could not be scraped from another container.
      expect(env.QTS_HEALTH_HOST, s).toBe('0.0.0.0');
    }
  });

  it('keeps secrets out of the compose file: every secret-looking value is interpolated', () => {
    const source = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { environment?: Record<string, unknown> }> };
    for (const [name, s] of Object.entries(source.services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        // Only an interpolation: required (:?) or empty when unset (:-), never a literal or a literal default.
        if (/PASSWORD|TOKEN|SECRET|API_KEY/.test(key) && !key.endsWith('_FILE')) expect(`${name}.${key}=${String(value)}`).toMatch(/=\$\{[A-Z_]+(:\?[^}]*|:-)\}$/);
        if (key === 'PG_URL') expect(String(value)).toMatch(/:\$\{POSTGRES_PASSWORD:\?/);
      }
    }
  });
});

describe('the runtime image', () => {
  it('runs the CLI as a non-root user, its entry point the file the commands were checked against', () => {
    expect(runtime.user).toBe('node');
    expect(runtime.entrypoint!.slice(0, 3)).toEqual(['node', '--import', 'tsx']);
    const script = posix.relative(runtime.workdir, posix.resolve(runtime.workdir, runtime.entrypoint![3]!));
    expect(script).toBe(relative(repoRoot, fileURLToPath(new URL('../cli/main.ts', import.meta.url))));
    expect(runtime.from).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
  });

  it('holds every source file the entry point loads and every package it imports as a production dependency', async () => {
    const files = imageFiles(runtime, read('.dockerignore'));
    const graph = await entryGraph(repoRoot, runtime.entrypoint![3]!.replace(`${runtime.workdir}/`, ''));
    expect(graph.files.length).toBeGreaterThan(50);
    expect(graph.files.filter((f) => !f.startsWith('node_modules/') && !files.has(f))).toEqual([]);
    const prod = productionDependencies(repoRoot);
    expect(graph.packages.filter((p) => !prod.has(p))).toEqual([]);
    const locked = lockedForProduction(repoRoot);
    expect(graph.packages.filter((p) => !locked.has(p))).toEqual([]);
    expect(locked.has('vitest')).toBe(false); // a dev-only package is told apart
    expect(prod.has('tsx')).toBe(true);
    // Traced graph is not a formality: a test helper would be missing from the image.
    expect(files.has('infra/src/deploy/compose.unit.test.ts')).toBe(false);
  }, 60_000);

  it('starts its entry point from the files the image holds: every command and worker the compose file names is there', () => {
    const dir = join(scratch, 'image');
    layOutStage(repoRoot, runtime, read('.dockerignore'), dir);
    const [node, ...args] = runtime.entrypoint!;
    const run = (argv: string[]): string => {
      const r = spawnSync(node === 'node' ? process.execPath : node!, [...args.map((a) => a.replace(runtime.workdir, dir)), ...argv], {
        cwd: dir, encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const help = run(['worker', '--help']);
    for (const s of qtsServices(model)) expect(help).toContain(model.services[s]!.command![1]!);
    expect(existsSync(join(dir, 'infra/src/deploy/compose.unit.test.ts'))).toBe(false);
  }, 150_000);

  it('holds the dashboard and the recorded bars the default config replays', () => {
    expect(runtime.copiesFrom).toContainEqual({ stage: 'ui', source: '/app/ui/dist', dest: '/app/ui/dist' });
    const config = RuntimeConfig.parse(JSON.parse(read('infra/docker/qts.config.json')));
    const files = imageFiles(runtime, read('.dockerignore'));
    if (config.market.kind === 'replay') for (const f of config.market.files) expect(files.has(f.path)).toBe(true);
  });

  it('ships config files the runtime accepts: the paper default and the live example (testnet, no keys in it)', () => {
    const paper = RuntimeConfig.safeParse(JSON.parse(read('infra/docker/qts.config.json')));
    expect(paper.success ? paper.data.venue.kind : paper.error.message).toBe('paper');
    const live = RuntimeConfig.safeParse(JSON.parse(read('infra/docker/qts.live.config.json')));
    expect(live.success ? [live.data.venue, live.data.market].map((x) => [x.kind, 'sandbox' in x && x.sandbox]) : live.error.message).toEqual([['ccxt', true], ['ccxt', true]]);
    // The live executor refuses what a spot account cannot do (shorts, protective orders): the example must not ask for it.
    expect(() => refuseUnsupportedLive(live.data!)).not.toThrow();
    for (const f of ['infra/docker/qts.config.json', 'infra/docker/qts.live.config.json']) expect(read(f)).not.toMatch(/"\w*(key|secret|password|token)"\s*:\s*"/i);
  });

  it('.env.example names every variable the compose file requires', () => {
    const required = [...read('docker-compose.yml').matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]!);
    const example = read('.env.example');
    for (const v of new Set(required)) expect(example).toMatch(new RegExp(`^${v}=.+`, 'm'));
  });
});
