// Korean and English: messages switch, numbers, money and dates follow the locale, the choice is remembered.
import { describe, expect, it } from 'vitest';
import { I18n } from './i18n.svelte.ts';

const memory = () => { const m = new Map<string, string>(); return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) }; };

describe('I18n', () => {
  it('switches messages and formats for the language, and remembers it', () => {
    const store = memory();
    const i = new I18n(store);
    i.lang = 'en';
    expect(i.t('live')).toBe('Live');
    expect(i.money(1234.5)).toBe('$1,234.50');
    expect(i.pct(0.1234)).toBe('12.34%');
    expect(i.t('confirmHalt', { account: 'paper' })).toContain('"paper"');
    i.lang = 'ko';
    expect(i.t('live')).toBe('실시간');
    expect(i.money(1234.5)).toBe('US$1,234.50');
    expect(i.money(1234567, 'KRW')).toBe('₩1,234,567');
    expect(i.date(Date.UTC(2023, 1, 4, 6, 55))).toMatch(/^23\. 2\. 4\./);
    expect(new I18n(store).lang).toBe('ko');
  });

  it('shows a dash for missing or non-finite values', () => {
    const i = new I18n(memory());
    expect([i.num(null), i.money(Number.NaN), i.pct(undefined), i.date(null)]).toEqual(['—', '—', '—', '—']);
  });
});
