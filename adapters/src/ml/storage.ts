// Model storage: where artifacts live (a directory by default); artifacts are immutable once written.
import { mkdir, readFile, rename, rm, writeFile, access } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join, resolve, sep } from 'node:path';
import { CorruptModelArtifact, InfrastructureError, ValidationError } from '@qts/core';

/** The model storage port: write once, read many, by key like `lstm-btcusdt-1h/3.json`. */
export interface ModelStorage {
  readonly name: string;
  /** Refuses to overwrite a key holding other bytes (versions are immutable); same bytes again is a no-op. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** @throws CorruptModelArtifact when the key holds nothing. */
  get(key: string): Promise<Uint8Array>;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function checkKey(key: string): void {
  if (!/^[a-z0-9][a-z0-9_-]*\/[0-9]+\.json$/.test(key)) throw new ValidationError(`bad model storage key '${key}'`, [{ path: 'key', message: 'family/number.json' }]);
}

/** Artifacts as files under a directory (default `var/models`, or QTS_MODEL_DIR). */
export class FileModelStorage implements ModelStorage {
  readonly name: string;
  readonly dir: string;

  constructor(dir: string = process.env['QTS_MODEL_DIR'] ?? join('var', 'models')) {
    this.dir = resolve(dir);
    this.name = `files:${this.dir}`;
  }

  private path(key: string): string {
    checkKey(key);
    const p = resolve(this.dir, key);
    if (!p.startsWith(this.dir + sep)) throw new ValidationError(`model key '${key}' escapes the storage directory`, [{ path: 'key', message: 'escapes' }]);
    return p;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const p = this.path(key);
    if (await exists(p)) {
      if (sha256(await readFile(p)) === sha256(bytes)) return;
      throw new ValidationError(`model artifact ${key} already exists with other content; versions are immutable`, [{ path: 'key', message: 'exists' }]);
    }
    // Write then rename: a crash never leaves a half-written artifact under the final name.
    const tmp = `${p}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(p), { recursive: true });
      await writeFile(tmp, bytes);
      await rename(tmp, p);
    } catch (e) {
      // Read-only, full, or a path through a file: the caller registers nothing, and no partial file stays.
      await rm(tmp, { force: true }).catch(() => undefined);
      throw new InfrastructureError(`model storage ${this.dir} cannot store ${key}: ${(e as Error).message}`, { key, dir: this.dir }, { cause: e });
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const p = this.path(key);
    try {
      return new Uint8Array(await readFile(p));
    } catch (e) {
      throw new CorruptModelArtifact(`model artifact ${key} cannot be read from ${this.dir}: ${(e as Error).message}`, { key }, { cause: e });
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** In-memory storage for tests and throwaway runs. */
export class InMemoryModelStorage implements ModelStorage {
  readonly name = 'memory';
  readonly files = new Map<string, Uint8Array>();

  async put(key: string, bytes: Uint8Array): Promise<void> {
    checkKey(key);
    const had = this.files.get(key);
    if (had && sha256(had) !== sha256(bytes)) throw new ValidationError(`model artifact ${key} already exists with other content; versions are immutable`, [{ path: 'key', message: 'exists' }]);
    this.files.set(key, Uint8Array.from(bytes));
  }

  async get(key: string): Promise<Uint8Array> {
    const b = this.files.get(key);
    if (!b) throw new CorruptModelArtifact(`model artifact ${key} is missing`, { key });
    return Uint8Array.from(b);
  }
}
