// Portfolio: accounting from fills, marks, equity and the equity curve.
export { emptyPortfolio, applyFill, markPrice, equity, equityExact, grossExposure, unrealizedPnl, positionOf, equityPoint, amount, Position } from './portfolio.ts';
export type { EquityPoint, Portfolio, PositionView } from './portfolio.ts';
