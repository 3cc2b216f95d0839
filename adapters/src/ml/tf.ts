// TensorFlow.js with the best backend this machine has: tfjs-node when installed, else WASM (shipped in the npm package), else plain JS CPU; logs which.
import * as tf from '@tensorflow/tfjs';

export type TfBackend = 'tensorflow' | 'wasm' | 'cpu';

let ready: Promise<TfBackend> | null = null;

/**
 * Picks and initialises the backend once per process. `QTS_TF_BACKEND` forces one (tensorflow, wasm,
 * cpu). tfjs-node is optional (it downloads libtensorflow at install time, impossible offline): it is
 * used only when `import('@tensorflow/tfjs-node')` resolves. The WASM binaries ship inside
 * @tensorflow/tfjs-backend-wasm, so nothing is downloaded at run time. All backends run the same
 * models and read the same artifacts.
 */
export function initTf(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<TfBackend> {
  ready ??= choose(log);
  return ready;
}

async function choose(log: (line: string) => void): Promise<TfBackend> {
  const wanted = process.env['QTS_TF_BACKEND'] as TfBackend | undefined;
  if (wanted === undefined || wanted === 'tensorflow') {
    try {
      const name = '@tensorflow/tfjs-node';
      await import(/* @vite-ignore */ name);
      if (await tf.setBackend('tensorflow')) return done('tensorflow', log);
    } catch (e) {
      if (wanted === 'tensorflow') throw new Error(`QTS_TF_BACKEND=tensorflow but @tensorflow/tfjs-node does not load: ${(e as Error).message}`, { cause: e });
    }
  }
  if (wanted === undefined || wanted === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) return done('wasm', log);
    } catch (e) {
      if (wanted === 'wasm') throw new Error(`QTS_TF_BACKEND=wasm but the WASM backend does not start: ${(e as Error).message}`, { cause: e });
    }
  }
  await tf.setBackend('cpu');
  return done('cpu', log);
}

async function done(backend: TfBackend, log: (line: string) => void): Promise<TfBackend> {
  await tf.ready();
  log(`tfjs ${tf.version.tfjs}: backend ${backend}`);
  return backend;
}

/** The backend in use (after initTf). */
export function tfBackend(): string {
  return tf.getBackend();
}

export { tf };
