// Pages by URL hash (#/live, #/backtests ...), so a reload or a shared link opens the same page.
export const pages = ['live', 'strategies', 'backtests', 'models', 'audit', 'system'] as const;
export type PageName = (typeof pages)[number];

function fromHash(hash: string): PageName {
  const name = hash.replace(/^#\/?/, '').split('?')[0] as PageName;
  return pages.includes(name) ? name : 'live';
}

export class Router {
  #page = $state<PageName>(fromHash(globalThis.location?.hash ?? ''));

  constructor() {
    globalThis.addEventListener?.('hashchange', () => { this.#page = fromHash(location.hash); });
  }

  get page(): PageName { return this.#page; }

  go(page: PageName): void {
    this.#page = page;
    if (globalThis.location) location.hash = `#/${page}`;
  }
}

export const router = new Router();
