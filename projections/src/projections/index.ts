// The default set of projections, in the order the projector applies them within a batch.
import type { Projection } from '../projection.ts';
import { auditProjection } from './audit.ts';
import { barsProjection } from './bars.ts';
import { instrumentsProjection } from './instruments.ts';
import { modelsProjection } from './models.ts';
import { ordersProjection } from './orders.ts';
import { positionsProjection } from './positions.ts';
import { riskProjection } from './risk.ts';
import { signalsProjection } from './signals.ts';
import { strategiesProjection } from './strategies.ts';

export const defaultProjections: readonly Projection[] = [
  instrumentsProjection, barsProjection, signalsProjection, ordersProjection, positionsProjection, strategiesProjection, riskProjection, modelsProjection, auditProjection,
];
