// Reads the build stages of a Dockerfile: what each stage copies, its user, workdir and entry point.
import { posix } from 'node:path';

export interface DockerStage {
  readonly name: string | null;
  readonly from: string;
  readonly workdir: string;
  readonly user: string | null;
  /** JSON (exec) form only: a shell-form entry point would not receive SIGTERM. */
  readonly entrypoint: readonly string[] | null;
  /** COPY instructions without --from: repository paths (relative to the context) to absolute image paths. */
  readonly copies: readonly { readonly sources: readonly string[]; readonly dest: string }[];
  readonly copiesFrom: readonly { readonly stage: string; readonly source: string; readonly dest: string }[];
}

/** Instructions with continuation lines joined and comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  const out: { op: string; args: string }[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) { pending += `${line.slice(0, -1)} `; continue; }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\S+)\s*(.*)$/.exec(full);
    if (m) out.push({ op: m[1]!.toUpperCase(), args: m[2]! });
  }
  return out;
}

function words(args: string): string[] {
  return args.split(/\s+/).filter((w) => w !== '');
}

/** Parses the stages in order; ARG defaults are substituted into FROM lines. */
export function parseDockerfile(text: string): DockerStage[] {
  const stages: DockerStage[] = [];
  const args = new Map<string, string>();
  let cur: { name: string | null; from: string; workdir: string; user: string | null; entrypoint: string[] | null; copies: DockerStage['copies'][number][]; copiesFrom: DockerStage['copiesFrom'][number][] } | null = null;
  for (const { op, args: rest } of instructions(text)) {
    if (op === 'ARG' && !cur) {
      const [k, v] = rest.split('=');
      if (k && v !== undefined) args.set(k.trim(), v.trim());
    } else if (op === 'FROM') {
      const w = words(rest.replace(/\$\{(\w+)\}/g, (_, k: string) => args.get(k) ?? ''));
      const base = w[0]!;
      const parent = stages.find((s) => s.name === base);
      const asIndex = w.findIndex((x) => x.toUpperCase() === 'AS');
      cur = {
        name: asIndex >= 0 ? w[asIndex + 1]! : null,
        from: base,
        workdir: parent?.workdir ?? '/',
        user: parent?.user ?? null,
        entrypoint: parent?.entrypoint ? [...parent.entrypoint] : null,
        copies: parent ? [...parent.copies] : [],
        copiesFrom: parent ? [...parent.copiesFrom] : [],
      };
      stages.push(cur);
    } else if (cur && op === 'WORKDIR') cur.workdir = posix.resolve(cur.workdir, rest.trim());
    else if (cur && op === 'USER') cur.user = rest.trim();
    else if (cur && op === 'ENTRYPOINT') cur.entrypoint = rest.trim().startsWith('[') ? (JSON.parse(rest) as string[]) : null;
    else if (cur && op === 'COPY') {
      const w = words(rest);
      const from = w.find((x) => x.startsWith('--from='))?.slice('--from='.length);
      const paths = w.filter((x) => !x.startsWith('--'));
      const dest = posix.resolve(cur.workdir, paths[paths.length - 1]!);
      const sources = paths.slice(0, -1);
      if (from) for (const source of sources) cur.copiesFrom.push({ stage: from, source, dest });
      else cur.copies.push({ sources, dest });
    }
  }
  return stages;
}
