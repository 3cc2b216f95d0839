// Rebuild equality on embedded PGlite (event store and read models in one database, as `npm start` runs).
import { rebuildContract } from './rebuild.contract.ts';

rebuildContract('PGlite', () => ({}));
