// Errors of the model lifecycle, in the project's taxonomy.
import { QtsError } from '../errors.ts';

/** A model that cannot serve this worker: other feature spec, other window, unknown format. */
export class ModelIncompatible extends QtsError {
  readonly kind = 'ModelIncompatible';
  readonly retryable = false;
}

/** A model artifact that does not load: missing, truncated, hash mismatch, bad JSON. */
export class CorruptModelArtifact extends QtsError {
  readonly kind = 'CorruptModelArtifact';
  readonly retryable = false;
}

/** Inputs a model must not see: NaN or infinite features, too little history. */
export class BadModelInput extends QtsError {
  readonly kind = 'BadModelInput';
  readonly retryable = false;
}
