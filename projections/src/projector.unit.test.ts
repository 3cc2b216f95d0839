// The projection suite on embedded PGlite.
import { projectorContract } from './projector.contract.ts';
import { pgliteTestDb } from './testing.ts';

projectorContract('PGlite', pgliteTestDb);
