// Checks a normalised compose model against the qts CLI: every service runs a real command, restarts, reports health and keeps data in named volumes.
import type { Command } from 'commander';
import type { ComposeModel, ComposeService } from './compose-cli.ts';

export interface DeployProblem {
  readonly service: string;
  readonly problem: string;
}

export interface QtsCli {
  /** A fresh program with every qts command (the CLI's own qtsProgram). */
  readonly program: () => Command;
  /** The workers `qts worker <name>` can run. */
  readonly workers: readonly string[];
}

export type ParsedCommand = { readonly ok: true; readonly path: readonly string[]; readonly args: readonly unknown[] } | { readonly ok: false; readonly error: string };

/** Parses argv with the real command tree, running no action: unknown commands, options and extra arguments fail. */
export async function parseQtsCommand(cli: QtsCli, argv: readonly string[]): Promise<ParsedCommand> {
  const program = cli.program();
  let hit: { path: string[]; args: unknown[] } | null = null;
  const visit = (cmd: Command, path: string[]): void => {
    cmd.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
    for (const sub of cmd.commands) {
      const p = [...path, sub.name()];
      if (sub.commands.length === 0) sub.action((...args: unknown[]) => { hit = { path: p, args }; });
      visit(sub, p);
    }
  };
  visit(program, []);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  const found = hit as { path: string[]; args: unknown[] } | null;
  return found ? { ok: true, path: found.path, args: found.args } : { ok: false, error: `'${argv.join(' ')}' names no runnable command` };
}

const restarting = new Set(['always', 'unless-stopped', 'on-failure']);

function restartProblem(s: ComposeService): string | null {
  const policy = s.restart ?? s.deploy?.restart_policy?.condition;
  if (!policy) return 'no restart policy';
  return restarting.has(policy.split(':')[0]!) || policy === 'any' ? null : `restart policy '${policy}' does not restart a crashed process`;
}

function volumeProblems(model: ComposeModel, s: ComposeService): string[] {
  const out: string[] = [];
  for (const v of s.volumes ?? []) {
    if (v.type === 'bind') out.push(`bind mount onto ${v.target}: keep data in a named volume`);
    else if (v.type === 'volume' && !v.source) out.push(`anonymous volume at ${v.target}: name it`);
    else if (v.type === 'volume' && !model.volumes?.[v.source!]) out.push(`volume '${v.source}' is not declared under volumes:`);
  }
  return out;
}

/** The services built from the repository's Dockerfile, or sharing the image such a service builds. */
export function qtsServices(model: ComposeModel): string[] {
  const images = new Set(Object.values(model.services).filter((s) => s.build).map((s) => s.image));
  return Object.entries(model.services).filter(([, s]) => s.build || (s.image && images.has(s.image))).map(([name]) => name);
}

/** Every problem found; an empty list means the deployment file is sound by these rules. */
export async function checkCompose(model: ComposeModel, cli: QtsCli): Promise<DeployProblem[]> {
  const problems: DeployProblem[] = [];
  const add = (service: string, problem: string): void => { problems.push({ service, problem }); };
  const qts = new Set(qtsServices(model));
  for (const [name, s] of Object.entries(model.services)) {
    const restart = restartProblem(s);
    if (restart) add(name, restart);
    const test = s.healthcheck?.disable ? [] : (s.healthcheck?.test ?? []);
    if (test.length === 0 || test[0] === 'NONE') add(name, 'no health check');
    for (const p of volumeProblems(model, s)) add(name, p);
    if (!qts.has(name)) {
      if (!(s.volumes ?? []).some((v) => v.type === 'volume')) add(name, 'a server without a named volume loses its data with its container');
      continue;
    }
    if (s.entrypoint && s.entrypoint.length > 0) add(name, `overrides the image's entry point with ${s.entrypoint.join(' ')}`);
    const argv = s.command ?? [];
    if (argv.length === 0) { add(name, 'no command: it would run the image default'); continue; }
    const parsed = await parseQtsCommand(cli, argv);
    if (!parsed.ok) { add(name, `'qts ${argv.join(' ')}' is not a qts command: ${parsed.error}`); continue; }
    if (parsed.path.join(' ') !== 'worker') continue;
    const worker = String(parsed.args[0]);
    if (!cli.workers.includes(worker)) add(name, `'qts worker ${worker}': no such worker (known: ${cli.workers.join(', ')})`);
    const port = (parsed.args[1] as { healthPort?: string }).healthPort;
    if (!port) add(name, 'no --health-port: its health check has nothing to ask');
    else if (!test.some((t) => t.includes(`:${port}/ready`) || t.includes(`:${port}/health`))) add(name, `health check does not ask the worker's health port ${port}`);
  }
  return problems;
}
