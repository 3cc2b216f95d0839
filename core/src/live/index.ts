// Live trading against a real venue: reconciliation, unknown-outcome follow-ups, venue reports as order commands.
export { reconcile, reconcileOrder, ordersToQuery, knownOrderOf, fillData } from './reconcile.ts';
export type { Anomaly, KnownOrder, ReconcileEvent, ReconcileOptions, ReconcileResult, VenueState } from './reconcile.ts';
export { resolveUnknownOutcome, reconcileWithVenue, reportToCommand, reportsForUpdate, requestedOnly, applyReports } from './sync.ts';
export type { FollowUpOptions, ReconcileWithVenueOptions } from './sync.ts';
