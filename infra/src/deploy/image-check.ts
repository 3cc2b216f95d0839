// Checks, without building it, that the runtime image holds everything its entry point loads: sources copied and not ignored, packages in production dependencies.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, posix, relative, resolve } from 'node:path';
import dockerignore, { type Ignore } from '@balena/dockerignore';
import { build, type Plugin } from 'esbuild';
import type { DockerStage } from './dockerfile.ts';

export interface ImageFiles {
  /** Whether a repository file (relative path) ends up in the stage: copied by a COPY and not in .dockerignore. */
  has(repoPath: string): boolean;
}

// A CommonJS module typed as an ES default export: its factory is both module.exports and .default.
const ignore = (dockerignore as unknown as { default: () => Ignore }).default;

/** The repository files the stage copies from the build context. */
export function imageFiles(stage: DockerStage, dockerignore: string): ImageFiles {
  const ignored = ignore().add(dockerignore.split('\n'));
  const sources = stage.copies.flatMap((c) => c.sources.map((s) => posix.normalize(s).replace(/\/$/, '')));
  return {
    has: (p) => !ignored.ignores(p) && sources.some((s) => s === '.' || p === s || p.startsWith(`${s}/`)),
  };
}

/** The package name of a bare import: `@scope/name/sub` gives `@scope/name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

export interface EntryGraph {
  /** Repository files the entry point imports, directly or not (relative paths). */
  readonly files: readonly string[];
  /** Third-party packages those files import (workspace packages excluded). */
  readonly packages: readonly string[];
}

/** Follows every static and literal dynamic import from the entry, as esbuild resolves them, without writing anything. */
export async function entryGraph(repo: string, entry: string): Promise<EntryGraph> {
  const builtins = new Set(builtinModules);
  const packages = new Set<string>();
  const externals: Plugin = {
    name: 'third-party-external',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('@qts/')) return undefined;
        const name = args.path.startsWith('node:') ? null : packageOf(args.path);
        if (name && !builtins.has(name)) packages.add(name);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    absWorkingDir: repo, entryPoints: [entry], bundle: true, write: false, metafile: true,
    platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent', plugins: [externals],
  });
  const files = Object.keys(result.metafile.inputs).map((p) => relative(repo, resolve(repo, p)));
  return { files: files.sort(), packages: [...packages].sort() };
}

/** Production dependencies of the root and every workspace (what `npm ci --omit=dev` installs). */
export function productionDependencies(repo: string): Set<string> {
  const root = JSON.parse(readFileSync(resolve(repo, 'package.json'), 'utf8')) as { workspaces?: string[]; dependencies?: Record<string, string> };
  const deps = new Set(Object.keys(root.dependencies ?? {}));
  for (const ws of root.workspaces ?? []) {
    const pkg = JSON.parse(readFileSync(resolve(repo, ws, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const d of Object.keys(pkg.dependencies ?? {})) deps.add(d);
  }
  return deps;
}

/** Packages the lockfile installs under `npm ci --omit=dev` (no dev or devOptional flag), at the root or in a workspace. */
export function lockedForProduction(repo: string): Set<string> {
  const lock = JSON.parse(readFileSync(resolve(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean; link?: boolean }> };
  const out = new Set<string>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    const i = path.lastIndexOf('node_modules/');
    if (i < 0 || entry.dev || entry.devOptional) continue;
    out.add(path.slice(i + 'node_modules/'.length));
  }
  return out;
}

/**
 * Lays out the stage's files from the repository under `dir` as the image would hold them under its workdir
 * (COPY from the build context, .dockerignore applied), with node_modules linked from the repository and the
 * workspace packages linked to the laid-out copies: enough to start the entry point without an engine.
 */
export function layOutStage(repo: string, stage: DockerStage, dockerignore: string, dir: string): void {
  const files = imageFiles(stage, dockerignore);
  const place = (from: string, to: string): void => {
    const st = statSync(from);
    if (st.isDirectory()) { for (const e of readdirSync(from)) place(join(from, e), join(to, e)); return; }
    if (!files.has(relative(repo, from))) return;
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  };
  for (const c of stage.copies) {
    for (const s of c.sources) place(resolve(repo, s), resolve(dir, posix.relative(stage.workdir, c.dest)));
  }
  const root = JSON.parse(readFileSync(resolve(repo, 'package.json'), 'utf8')) as { workspaces: string[] };
  for (const m of ['package.json', ...root.workspaces.map((w) => `${w}/package.json`)]) {
    mkdirSync(dirname(resolve(dir, m)), { recursive: true });
    copyFileSync(resolve(repo, m), resolve(dir, m));
  }
  mkdirSync(resolve(dir, 'node_modules/@qts'), { recursive: true });
  for (const e of readdirSync(resolve(repo, 'node_modules'))) {
    if (e !== '@qts') symlinkSync(resolve(repo, 'node_modules', e), resolve(dir, 'node_modules', e));
  }
  for (const w of root.workspaces) {
    const name = (JSON.parse(readFileSync(resolve(repo, w, 'package.json'), 'utf8')) as { name: string }).name;
    symlinkSync(resolve(dir, w), resolve(dir, 'node_modules', name));
    // A workspace's own node_modules holds the versions that differ from the hoisted ones.
    if (existsSync(resolve(repo, w, 'node_modules'))) symlinkSync(resolve(repo, w, 'node_modules'), resolve(dir, w, 'node_modules'));
  }
}
