// lightweight-charts mounted by {@attach}: the chart is made once per element, fed by effects, removed on detach.
import {
  CandlestickSeries, HistogramSeries, LineSeries, createChart, createSeriesMarkers, CrosshairMode,
  type IChartApi, type ISeriesApi, type SeriesMarker, type Time, type UTCTimestamp, type DeepPartial, type ChartOptions,
} from 'lightweight-charts';
import type { Attachment } from 'svelte/attachments';
import { untrack } from 'svelte';
import type { Bar } from './api.ts';
import { sma } from './indicators.ts';
import type { Palette } from './theme.svelte.ts';

const sec = (ms: number) => Math.floor(ms / 1000) as UTCTimestamp;

export interface Marker { readonly time: number; readonly kind: 'long' | 'short' | 'flat' | 'buy' | 'sell'; readonly text: string }

export interface CandleInput {
  readonly bars: readonly Bar[];
  readonly smaPeriods: readonly number[];
  readonly markers: readonly Marker[];
  readonly palette: Palette;
  readonly locale: string;
  /** Called when the user scrolls to the oldest bar shown (load more history). */
  readonly onOldestVisible?: () => void;
}

function baseOptions(p: Palette, locale: string): DeepPartial<ChartOptions> {
  return {
    autoSize: true,
    layout: { background: { color: p.bg }, textColor: p.fg, fontSize: 11, attributionLogo: false },
    grid: { vertLines: { color: p.grid }, horzLines: { color: p.grid } },
    rightPriceScale: { borderColor: p.grid },
    // Conflation merges bars thinner than half a pixel, so zooming out over 100k candles stays cheap.
    timeScale: { borderColor: p.grid, timeVisible: true, secondsVisible: false, enableConflation: true, minBarSpacing: 0.005 },
    crosshair: { mode: CrosshairMode.Normal },
    localization: { locale },
  };
}

/** The chart the page exposes for measurements (the e2e test times setData and scrolling through it). */
export interface ChartHandle { chart: IChartApi; candles: ISeriesApi<'Candlestick'> }
declare global { interface Window { __qtsChart?: ChartHandle } }

/**
 * Candles, volume underneath, SMA overlays and signal/fill markers.
 * Live updates that only touch the last bar or append one go through series.update (no full redraw of history).
 */
export function candleChart(input: () => CandleInput): Attachment<HTMLElement> {
  return (node) => {
    const first = untrack(input);
    const chart = createChart(node, baseOptions(first.palette, first.locale));
    const candles = chart.addSeries(CandlestickSeries, { upColor: first.palette.up, downColor: first.palette.down, wickUpColor: first.palette.up, wickDownColor: first.palette.down, borderVisible: false });
    const volume = chart.addSeries(HistogramSeries, { priceFormat: { type: 'volume' }, priceScaleId: 'volume', lastValueVisible: false, priceLineVisible: false });
    chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
    candles.priceScale().applyOptions({ scaleMargins: { top: 0.06, bottom: 0.2 } });
    const markers = createSeriesMarkers(candles, []);
    const lines: ISeriesApi<'Line'>[] = [];
    window.__qtsChart = { chart, candles };
    let shown: readonly Bar[] = [];
    const nearLeftEdge = (r: { from: number } | null) => { if (r && r.from < 10) untrack(input).onOldestVisible?.(); };
    chart.timeScale().subscribeVisibleLogicalRangeChange(nearLeftEdge);

    $effect(() => {
      const { palette: p, locale } = input();
      chart.applyOptions(baseOptions(p, locale));
      candles.applyOptions({ upColor: p.up, downColor: p.down, wickUpColor: p.up, wickDownColor: p.down });
    });

    $effect(() => {
      const { bars, palette: p } = input();
      const upVol = `${p.up}66`;
      const downVol = `${p.down}66`;
      const vol = (b: Bar) => ({ time: sec(b.openTime), value: b.volume, color: b.close >= b.open ? upVol : downVol });
      const candle = (b: Bar) => ({ time: sec(b.openTime), open: b.open, high: b.high, low: b.low, close: b.close });
      const prev = shown;
      const sameHistory = prev.length > 0 && bars.length >= prev.length && bars.length <= prev.length + 2 && bars[0]?.openTime === prev[0]?.openTime
        && bars[prev.length - 2]?.openTime === prev[prev.length - 2]?.openTime;
      if (sameHistory) {
        for (let i = prev.length - 1; i < bars.length; i++) { candles.update(candle(bars[i]!)); volume.update(vol(bars[i]!)); }
      } else {
        // Older bars put in front: keep the view on the same bars instead of jumping by their count.
        const range = chart.timeScale().getVisibleLogicalRange();
        const added = prev.length > 0 && bars.length > prev.length && bars[bars.length - prev.length]?.openTime === prev[0]?.openTime ? bars.length - prev.length : 0;
        candles.setData(bars.map(candle));
        volume.setData(bars.map(vol));
        if (added > 0 && range) chart.timeScale().setVisibleLogicalRange({ from: range.from + added, to: range.to + added });
      }
      shown = bars;
    });

    $effect(() => {
      const { bars, smaPeriods, palette: p } = input();
      while (lines.length > smaPeriods.length) chart.removeSeries(lines.pop()!);
      const closes = new Float64Array(bars.length);
      for (let i = 0; i < bars.length; i++) closes[i] = bars[i]!.close;
      smaPeriods.forEach((period, k) => {
        const line = lines[k] ?? chart.addSeries(LineSeries, { lineWidth: 1, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false });
        lines[k] = line;
        line.applyOptions({ color: k === 0 ? p.line : p.line2, title: `SMA ${period}` });
        const avg = sma(closes, period);
        const data: { time: UTCTimestamp; value: number }[] = [];
        for (let i = period - 1; i < bars.length; i++) data.push({ time: sec(bars[i]!.openTime), value: avg[i]! });
        line.setData(data);
      });
    });

    $effect(() => {
      const { markers: ms, palette: p } = input();
      const list: SeriesMarker<Time>[] = ms.map((m) => {
        const up = m.kind === 'long' || m.kind === 'buy';
        const fill = m.kind === 'buy' || m.kind === 'sell';
        return {
          time: sec(m.time), position: up ? 'belowBar' : 'aboveBar', text: m.text,
          color: m.kind === 'flat' ? p.muted : up ? p.up : p.down, shape: fill ? 'circle' : up ? 'arrowUp' : 'arrowDown', size: fill ? 0.6 : 1,
        };
      });
      list.sort((a, b) => (a.time as number) - (b.time as number));
      markers.setMarkers(list);
    });

    return () => {
      chart.timeScale().unsubscribeVisibleLogicalRangeChange(nearLeftEdge);
      if (window.__qtsChart?.chart === chart) delete window.__qtsChart;
      chart.remove();
    };
  };
}

export interface LineSpec { readonly name: string; readonly time: ArrayLike<number>; readonly value: ArrayLike<number>; readonly color?: string }
export interface LineInput { readonly lines: readonly LineSpec[]; readonly palette: Palette; readonly locale: string; readonly percent?: boolean }

/** One or more lines on a time axis (equity curves, drawdowns, a comparison of runs). */
export function lineChart(input: () => LineInput): Attachment<HTMLElement> {
  return (node) => {
    const first = untrack(input);
    const chart: IChartApi = createChart(node, baseOptions(first.palette, first.locale));
    const series: ISeriesApi<'Line'>[] = [];
    $effect(() => {
      const { lines, palette: p, locale, percent } = input();
      chart.applyOptions(baseOptions(p, locale));
      while (series.length > lines.length) chart.removeSeries(series.pop()!);
      const colors = [p.line2, p.line, p.up, p.down];
      lines.forEach((l, k) => {
        const s = series[k] ?? chart.addSeries(LineSeries, { lineWidth: 2, priceLineVisible: false });
        series[k] = s;
        s.applyOptions({
          color: l.color ?? colors[k % colors.length]!, title: l.name,
          priceFormat: percent ? { type: 'custom', formatter: (v: number) => `${(v * 100).toFixed(2)}%` } : { type: 'price', precision: 2, minMove: 0.01 },
        });
        const data: { time: UTCTimestamp; value: number }[] = [];
        let lastT = -Infinity;
        for (let i = 0; i < l.time.length; i++) {
          const t = sec(l.time[i]!);
          // The chart needs strictly increasing times; several points in one second keep the last.
          if (t === lastT) data[data.length - 1] = { time: t, value: l.value[i]! };
          else if (t > lastT) data.push({ time: t, value: l.value[i]! });
          lastT = Math.max(lastT, t);
        }
        s.setData(data);
      });
      chart.timeScale().fitContent();
    });
    return () => chart.remove();
  };
}
