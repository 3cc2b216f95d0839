// Korean and English: the message table, the current language (remembered), and Intl formatters for that locale.
const en = {
  live: 'Live', strategies: 'Strategies', backtests: 'Backtests', audit: 'Audit', system: 'System',
  instrument: 'Instrument', timeframe: 'Timeframe', positions: 'Positions', openOrders: 'Open orders', fills: 'Fills', signals: 'Signals',
  equity: 'Equity', pnl: 'PnL', realized: 'Realized', unrealized: 'Unrealized', fees: 'Fees', cancel: 'Cancel', quantity: 'Qty',
  price: 'Price', side: 'Side', status: 'Status', time: 'Time', avgPrice: 'Avg price', last: 'Last', account: 'Account', strategy: 'Strategy',
  kind: 'Kind', params: 'Parameters', start: 'Start', stop: 'Stop', running: 'running', stopped: 'stopped', unknown: 'unknown',
  save: 'Save parameters', create: 'Create strategy', strategyId: 'Strategy id', signalCount: 'Signals', run: 'Run backtest', cash: 'Cash',
  metrics: 'Metrics', trades: 'Trades', drawdown: 'Drawdown', compare: 'Compare', progress: 'Progress', jobs: 'Runs',
  type: 'Type', correlationId: 'Correlation id', search: 'Search', follow: 'Follow', events: 'Events', deadLetters: 'Dead letters',
  killSwitch: 'Kill switch', halt: 'Halt trading', resume: 'Resume trading', halted: 'HALTED', trading: 'trading',
  confirmHalt: 'Halt all trading on account "{account}"? Open orders stay; no new orders are sent.',
  confirmResume: 'Resume trading on account "{account}"?', note: 'Note', token: 'API token', tokenPrompt: 'Enter the API token printed by `npm start`',
  ok: 'OK', close: 'Close', live_on: 'live', live_off: 'offline', reconnecting: 'reconnecting', noData: 'No data yet', more: 'More',
  from: 'From', to: 'To', total: 'Total', direction: 'Direction', entry: 'Entry', exit: 'Exit', theme: 'Theme', language: 'Language',
  totalReturn: 'Total return', sharpe: 'Sharpe', sortino: 'Sortino', maxDrawdown: 'Max drawdown', winRate: 'Win rate', profitFactor: 'Profit factor',
  cagr: 'CAGR', calmar: 'Calmar', exposure: 'Exposure', finalEquity: 'Final equity', totalFees: 'Total fees', bars: 'Bars', models: 'Models',
  tokenForLive: 'Live updates need the API token; showing polled data.', enterToken: 'Enter token', overlay: 'Overlays', sma: 'SMA',
  cancelRequested: 'cancel requested', saved: 'saved', failed: 'failed', reason: 'Reason', idle: 'idle', breaches: 'Breaches', confirm: 'Confirm',
  champion: 'champion', challenger: 'challenger', retired: 'retired', version: 'Version', family: 'Family', promote: 'Promote', retire: 'Retire',
  trainedAt: 'Trained', dataRange: 'Data range', experiments: 'Experiments', share: 'Share', traded: 'Traded', decision: 'Decision',
  pValue: 'p-value', winner: 'Winner', mode: 'Mode', role: 'Role', concluded: 'concluded', promotedAt: 'Promoted', retiredAt: 'Retired',
  decision_promote: 'promote', decision_reject: 'reject', decision_inconclusive: 'inconclusive', mode_split: 'split', mode_shadow: 'shadow',
  train: 'Train a model', model: 'Model', epochs: 'Epochs', horizon: 'Horizon (bars)', promoteWhenTrained: 'Promote when trained', seed: 'Seed',
  epoch: 'Epoch', loss: 'Loss', queued: 'queued', succeeded: 'succeeded', newVersion: 'New version', noChampion: 'no champion',
  confirmPromote: 'Promote {version} to champion of {family}? The model worker switches to it on its next bar.',
  confirmRetire: 'Retire {version}? It can no longer be promoted; if it is the champion, {family} is left without one.',
  reasonNeeded: 'Say why (kept in the audit trail).', noModels: 'No models yet: train one with the form, or `npm run qts -- train ... --promote`.',
  noExperiments: 'No experiments for this family.', modelsUnavailable: 'The models API did not answer', details: 'Details',
  trainingUnavailable: 'Training is not available in this API process: run `npm run qts -- train` instead.', codeVersion: 'Code version', featureSpec: 'Feature spec',
  m_accuracy: 'Accuracy', m_logLoss: 'Log loss', m_rocAuc: 'ROC AUC', m_baseRate: 'Base rate', m_backtestReturn: 'BT return', m_buyAndHoldReturn: 'Buy & hold',
  m_backtestSharpe: 'BT Sharpe', m_backtestMaxDrawdown: 'BT max DD', m_backtestTrades: 'BT trades', m_testSamples: 'Test samples', m_trainSamples: 'Train samples',
  s_hitRate: 'Hit rate', s_meanReturn: 'Mean return',
  v_required: 'required', v_wholeBetween: 'must be a whole number between {min} and {max}', v_afterFrom: 'must be after from',
};
type Key = keyof typeof en;
const ko: Record<Key, string> = {
  live: '실시간', strategies: '전략', backtests: '백테스트', audit: '감사', system: '시스템',
  instrument: '종목', timeframe: '주기', positions: '포지션', openOrders: '미체결 주문', fills: '체결', signals: '시그널',
  equity: '자산', pnl: '손익', realized: '실현', unrealized: '미실현', fees: '수수료', cancel: '취소', quantity: '수량',
  price: '가격', side: '방향', status: '상태', time: '시각', avgPrice: '평균가', last: '현재가', account: '계좌', strategy: '전략',
  kind: '종류', params: '파라미터', start: '시작', stop: '정지', running: '실행 중', stopped: '정지됨', unknown: '알 수 없음',
  save: '파라미터 저장', create: '전략 생성', strategyId: '전략 ID', signalCount: '시그널 수', run: '백테스트 실행', cash: '초기 자금',
  metrics: '지표', trades: '거래', drawdown: '낙폭', compare: '비교', progress: '진행', jobs: '실행 목록',
  type: '유형', correlationId: '상관 ID', search: '검색', follow: '추적', events: '이벤트', deadLetters: '데드 레터',
  killSwitch: '킬 스위치', halt: '거래 중단', resume: '거래 재개', halted: '중단됨', trading: '거래 중',
  confirmHalt: '계좌 "{account}"의 모든 거래를 중단할까요? 미체결 주문은 유지되고 새 주문은 나가지 않습니다.',
  confirmResume: '계좌 "{account}"의 거래를 재개할까요?', note: '메모', token: 'API 토큰', tokenPrompt: '`npm start`가 출력한 API 토큰을 입력하세요',
  ok: '확인', close: '닫기', live_on: '연결됨', live_off: '오프라인', reconnecting: '재연결 중', noData: '데이터 없음', more: '더 보기',
  from: '시작', to: '끝', total: '합계', direction: '방향', entry: '진입', exit: '청산', theme: '테마', language: '언어',
  totalReturn: '총 수익률', sharpe: '샤프', sortino: '소르티노', maxDrawdown: '최대 낙폭', winRate: '승률', profitFactor: '손익비',
  cagr: '연복리 수익률', calmar: '칼마', exposure: '시장 노출', finalEquity: '최종 자산', totalFees: '총 수수료', bars: '봉 수', models: '모델',
  tokenForLive: '실시간 업데이트에는 API 토큰이 필요합니다. 주기적으로 조회한 데이터를 표시합니다.', enterToken: '토큰 입력', overlay: '오버레이', sma: '이동평균',
  cancelRequested: '취소 요청됨', saved: '저장됨', failed: '실패', reason: '사유', idle: '대기', breaches: '한도 위반', confirm: '확인 필요',
  champion: '챔피언', challenger: '도전자', retired: '폐기됨', version: '버전', family: '모델군', promote: '승격', retire: '폐기',
  trainedAt: '학습 시각', dataRange: '데이터 구간', experiments: '실험', share: '비중', traded: '거래됨', decision: '결정',
  pValue: 'p값', winner: '승자', mode: '방식', role: '역할', concluded: '종료됨', promotedAt: '승격 시각', retiredAt: '폐기 시각',
  decision_promote: '승격', decision_reject: '기각', decision_inconclusive: '결론 없음', mode_split: '분할', mode_shadow: '섀도',
  train: '모델 학습', model: '모델', epochs: '에포크', horizon: '예측 구간(봉)', promoteWhenTrained: '학습 후 승격', seed: '시드',
  epoch: '에포크', loss: '손실', queued: '대기 중', succeeded: '완료', newVersion: '새 버전', noChampion: '챔피언 없음',
  confirmPromote: '{version}을(를) {family}의 챔피언으로 승격할까요? 모델 워커는 다음 봉부터 이 버전을 사용합니다.',
  confirmRetire: '{version}을(를) 폐기할까요? 다시 승격할 수 없으며, 챔피언이라면 {family}에는 챔피언이 없게 됩니다.',
  reasonNeeded: '사유를 입력하세요 (감사 기록에 남습니다).', noModels: '아직 모델이 없습니다. 양식으로 학습하거나 `npm run qts -- train ... --promote`를 실행하세요.',
  noExperiments: '이 모델군의 실험이 없습니다.', modelsUnavailable: '모델 API가 응답하지 않았습니다', details: '상세',
  trainingUnavailable: '이 API 프로세스에서는 학습을 실행할 수 없습니다. 대신 `npm run qts -- train`을 실행하세요.', codeVersion: '코드 버전', featureSpec: '피처 명세',
  m_accuracy: '정확도', m_logLoss: '로그 손실', m_rocAuc: 'ROC AUC', m_baseRate: '기준 비율', m_backtestReturn: '백테스트 수익률', m_buyAndHoldReturn: '단순 보유',
  m_backtestSharpe: '백테스트 샤프', m_backtestMaxDrawdown: '백테스트 최대 낙폭', m_backtestTrades: '백테스트 거래', m_testSamples: '검증 표본', m_trainSamples: '학습 표본',
  s_hitRate: '적중률', s_meanReturn: '평균 수익률',
  v_required: '필수 항목입니다', v_wholeBetween: '{min}에서 {max} 사이의 정수여야 합니다', v_afterFrom: '시작보다 뒤여야 합니다',
};
const tables = { en, ko } as const;
export type Lang = keyof typeof tables;
export type MessageKey = Key;

const KEY = 'qts.lang';

export class I18n {
  #lang = $state<Lang>('en');
  #num = $derived(new Intl.NumberFormat(this.locale, { maximumFractionDigits: 8 }));
  #pct = $derived(new Intl.NumberFormat(this.locale, { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 }));
  #date = $derived(new Intl.DateTimeFormat(this.locale, { dateStyle: 'short', timeStyle: 'medium' }));
  #day = $derived(new Intl.DateTimeFormat(this.locale, { dateStyle: 'short' }));

  constructor(private readonly storage: Pick<Storage, 'getItem' | 'setItem'> | null = globalThis.localStorage ?? null) {
    const saved = storage?.getItem(KEY);
    const nav = globalThis.navigator?.language ?? 'en';
    this.#lang = saved === 'ko' || saved === 'en' ? saved : nav.startsWith('ko') ? 'ko' : 'en';
  }

  get lang(): Lang { return this.#lang; }
  set lang(v: Lang) {
    this.#lang = v;
    this.storage?.setItem(KEY, v);
    if (globalThis.document) document.documentElement.lang = v;
  }
  get locale(): string { return this.#lang === 'ko' ? 'ko-KR' : 'en-US'; }

  t(key: MessageKey, vars?: Record<string, string | number>): string {
    let s = tables[this.#lang][key];
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, String(v));
    return s;
  }

  /** A price or quantity: as many decimals as it has, up to 8. */
  num(v: number | null | undefined, digits?: number): string {
    if (v === null || v === undefined || !Number.isFinite(v)) return '—';
    return digits === undefined ? this.#num.format(v) : new Intl.NumberFormat(this.locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
  }

  /** Money in a currency; crypto quotes (USDT) are shown as dollars, KRW without decimals. */
  money(v: number | null | undefined, currency = 'USD'): string {
    if (v === null || v === undefined || !Number.isFinite(v)) return '—';
    const iso = currency === 'USDT' || currency === 'USDC' ? 'USD' : currency;
    try {
      return new Intl.NumberFormat(this.locale, { style: 'currency', currency: iso, maximumFractionDigits: iso === 'KRW' ? 0 : 2 }).format(v);
    } catch {
      return `${this.num(v, 2)} ${currency}`;
    }
  }

  pct(v: number | null | undefined): string {
    return v === null || v === undefined || !Number.isFinite(v) ? '—' : this.#pct.format(v);
  }

  date(ms: number | string | null | undefined): string {
    if (ms === null || ms === undefined) return '—';
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? '—' : this.#date.format(d);
  }

  /** The date alone, for spans of days (a model's training data). */
  day(ms: number | null | undefined): string {
    if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
    return this.#day.format(new Date(ms));
  }
}

export const i18n = new I18n();
