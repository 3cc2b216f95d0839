// Dark or light, remembered; applied as data-theme on <html> so CSS variables and charts follow it.
export type ThemeName = 'dark' | 'light';

export interface Palette { bg: string; fg: string; grid: string; up: string; down: string; line: string; line2: string; muted: string }

const palettes: Record<ThemeName, Palette> = {
  dark: { bg: '#0f1115', fg: '#c9d1d9', grid: '#1e232b', up: '#26a69a', down: '#ef5350', line: '#f0b90b', line2: '#58a6ff', muted: '#6e7681' },
  light: { bg: '#ffffff', fg: '#1f2328', grid: '#eef0f3', up: '#089981', down: '#f23645', line: '#d48806', line2: '#0969da', muted: '#8c959f' },
};

export class Theme {
  #name = $state<ThemeName>('dark');

  constructor(private readonly storage: Pick<Storage, 'getItem' | 'setItem'> | null = globalThis.localStorage ?? null) {
    const saved = storage?.getItem('qts.theme');
    this.#name = saved === 'light' ? 'light' : 'dark';
    this.#apply();
  }

  get name(): ThemeName { return this.#name; }
  get palette(): Palette { return palettes[this.#name]; }

  toggle(): void {
    this.#name = this.#name === 'dark' ? 'light' : 'dark';
    this.storage?.setItem('qts.theme', this.#name);
    this.#apply();
  }

  #apply(): void {
    if (globalThis.document) document.documentElement.dataset.theme = this.#name;
  }
}

export const theme = new Theme();
