// XGBoost through ml-xgboost (XGBoost compiled to WASM): binary logistic boosting on the last rows of each feature window, NaN-checked first (the WASM build aborts on NaN).
import { createRequire } from 'node:module';
import { BadModelInput } from '@qts/core';

export interface XgbParams {
  readonly maxDepth: number;
  readonly eta: number;
  readonly iterations: number;
  readonly subsample: number;
  readonly colsampleByTree: number;
  readonly minChildWeight: number;
  /** How many of the window's last rows are fed side by side. */
  readonly lags: number;
}

export const defaultXgbParams: XgbParams = { maxDepth: 3, eta: 0.1, iterations: 60, subsample: 0.8, colsampleByTree: 0.8, minChildWeight: 5, lags: 2 };

interface XgbBooster {
  train(x: number[][], y: number[]): void;
  predict(x: number[][]): number[];
  toJSON(): { name: string; model: number[]; options: Record<string, unknown> };
  free(): void;
}
interface XgbClass {
  new (options: Record<string, unknown>): XgbBooster;
  load(model: { name: string; model: number[]; options: Record<string, unknown> }): XgbBooster;
}

let lib: Promise<XgbClass> | null = null;

/** Loads the WASM module once (its binary ships in the npm package). */
export function loadXgboost(): Promise<XgbClass> {
  const require = createRequire(import.meta.url);
  lib ??= require('ml-xgboost') as Promise<XgbClass>;
  return lib;
}

function rows(x: Float32Array, n: number, width: number): number[][] {
  const out: number[][] = new Array<number[]>(n);
  for (let i = 0; i < n; i++) {
    const r = new Array<number>(width);
    for (let j = 0; j < width; j++) {
      const v = x[i * width + j]!;
      if (!Number.isFinite(v)) throw new BadModelInput(`xgboost input row ${i} column ${j} is ${v}; features must be finite (clean them first)`, { row: i, column: j });
      r[j] = v;
    }
    out[i] = r;
  }
  return out;
}

export class XgbModel {
  private constructor(private readonly booster: XgbBooster, readonly width: number) {}

  static async train(x: Float32Array, y: Float32Array, samples: number, width: number, p: XgbParams, seed: number): Promise<XgbModel> {
    const XGBoost = await loadXgboost();
    const booster = new XGBoost({
      booster: 'gbtree', objective: 'binary:logistic', max_depth: p.maxDepth, eta: p.eta, iterations: p.iterations,
      subsample: p.subsample, colsample_bytree: p.colsampleByTree, min_child_weight: p.minChildWeight, seed, silent: 1,
    });
    booster.train(rows(x, samples, width), Array.from(y));
    return new XgbModel(booster, width);
  }

  static async load(saved: { model: string; options: Record<string, unknown> }, width: number): Promise<XgbModel> {
    const XGBoost = await loadXgboost();
    const bytes = Buffer.from(saved.model, 'base64');
    return new XgbModel(XGBoost.load({ name: 'ml-xgboost', model: Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)), options: saved.options }), width);
  }

  predict(x: Float32Array, samples: number): Float32Array {
    return Float32Array.from(this.booster.predict(rows(x, samples, this.width)));
  }

  save(): { model: string; options: Record<string, unknown> } {
    const j = this.booster.toJSON();
    return { model: Buffer.from(Int8Array.from(j.model).buffer).toString('base64'), options: j.options };
  }

  dispose(): void {
    this.booster.free();
  }
}
