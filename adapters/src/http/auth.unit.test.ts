// The API token: generated once with only its hash on disk, taken from the environment when set, checked exactly.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bearerOf, loadOrCreateApiToken } from './auth.ts';

describe('API token', () => {
  it('is generated on first start, returned once, and only its sha-256 is stored (0600)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'qts-token-')), 'var', 'api-token.sha256');
    const first = loadOrCreateApiToken({ hashFile: file });
    expect(first.generated).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = readFileSync(file, 'utf8');
    expect(stored).not.toContain(first.generated!);
    expect(stored.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadOrCreateApiToken({ hashFile: file });
    expect(second.generated).toBeNull();
    expect(second.verify(first.generated!)).toBe(true);
    expect(second.verify(`${first.generated!}x`)).toBe(false);
    expect(second.verify('')).toBe(false);
  });

  it('QTS_API_TOKEN wins over the file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'qts-token-')), 'api-token.sha256');
    const t = loadOrCreateApiToken({ envToken: 'from-env', hashFile: file });
    expect(t.verify('from-env')).toBe(true);
    expect(t.generated).toBeNull();
    expect(() => readFileSync(file)).toThrow();
  });

  it('reads only well-formed bearer headers', () => {
    expect(bearerOf('Bearer abc.DEF-123')).toBe('abc.DEF-123');
    expect(bearerOf('bearer abc')).toBeNull();
    expect(bearerOf('Basic abc')).toBeNull();
    expect(bearerOf('Bearer a b')).toBeNull();
    expect(bearerOf(undefined)).toBeNull();
  });
});
