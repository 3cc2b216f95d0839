// Runs the real Docker Compose v2 CLI's `config` (no engine needed): the file validated and normalised as `docker compose up` would read it.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../../..');

export interface ComposeCli {
  /** `docker compose version` output, e.g. "Docker Compose version v2.40.3". */
  readonly version: string;
  /** `docker compose`, or the plugin binary itself where no docker client is installed (it runs standalone too). */
  readonly command: readonly string[];
  /** The environment compose runs with: PATH and HOME only (plus DOCKER_CONFIG for the pinned plugin). */
  readonly env: NodeJS.ProcessEnv;
}

export type ConfigResult =
  | { readonly ok: true; readonly model: ComposeModel }
  | { readonly ok: false; readonly error: string };

/** The parts of `docker compose config --format json` the deployment checks read. */
export interface ComposeModel {
  readonly name?: string;
  readonly services: Readonly<Record<string, ComposeService>>;
  readonly volumes?: Readonly<Record<string, { readonly name?: string; readonly external?: boolean }>>;
}

export interface ComposeService {
  readonly image?: string;
  readonly build?: { readonly context: string; readonly dockerfile?: string; readonly target?: string };
  readonly command?: readonly string[] | null;
  readonly entrypoint?: readonly string[] | null;
  readonly environment?: Readonly<Record<string, string | null>>;
  readonly healthcheck?: { readonly test?: readonly string[]; readonly disable?: boolean };
  readonly restart?: string;
  readonly deploy?: { readonly restart_policy?: { readonly condition?: string } };
  readonly volumes?: readonly { readonly type: string; readonly source?: string; readonly target: string }[];
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>;
  readonly profiles?: readonly string[];
}

/**
 * Makes sure a Compose v2 CLI is there (infra/scripts/compose-cli.sh installs the pinned plugin when the machine
 * has none) and returns how to run it. Throws with the script's output when neither can be had.
 */
export function composeCli(): ComposeCli {
  const install = spawnSync('bash', [resolve(repoRoot, 'infra/scripts/compose-cli.sh')], { encoding: 'utf8', timeout: 300_000 });
  if (install.status !== 0) throw new Error(`infra/scripts/compose-cli.sh failed:\n${install.stdout}${install.stderr}`);
  const dir = spawnSync('bash', [resolve(repoRoot, 'infra/scripts/compose-cli.sh'), '--print-config-dir'], { encoding: 'utf8' }).stdout.trim();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...(dir ? { DOCKER_CONFIG: dir } : {}) };
  const hasClient = spawnSync('docker', ['--version'], { env }).status === 0;
  const command = hasClient || !dir ? ['docker', 'compose'] : [resolve(dir, 'cli-plugins/docker-compose')];
  const version = spawnSync(command[0]!, [...command.slice(1), 'version'], { encoding: 'utf8', env });
  if (version.status !== 0) throw new Error(`${command.join(' ')} version failed: ${version.stderr || version.error?.message}`);
  return { version: version.stdout.trim(), command, env };
}

/** `docker compose -f FILE... --env-file ENV --profile '*' config --format json` (every profile, so opt-in services are checked too). */
export function composeConfig(cli: ComposeCli, options: { files: readonly string[]; envFile: string; cwd?: string }): ConfigResult {
  const args = [...cli.command.slice(1), ...options.files.flatMap((f) => ['-f', f]), '--env-file', options.envFile, '--profile', '*', 'config', '--format', 'json'];
  const run = spawnSync(cli.command[0]!, args, { cwd: options.cwd ?? repoRoot, encoding: 'utf8', env: cli.env, timeout: 60_000 });
  if (run.status !== 0) return { ok: false, error: (run.stderr || run.error?.message || `exit ${run.status}`).trim() };
  return { ok: true, model: JSON.parse(run.stdout) as ComposeModel };
}
