// Orders: the order lifecycle decider and its errors.
export { orderDecider, decideOrder, evolveOrder, initialOrderState, remainingQuantity, terminalStatuses } from './order.ts';
export type { OrderCommand, OrderEvent, OrderIdentity, OrderState, OrderStatus } from './order.ts';
export { IllegalOrderTransition, FillRefused } from './errors.ts';
