// The live feed: WebSocket hub, its wire protocol, and a Node client that detects gaps.
export { WsHub } from './hub.ts';
export type { WsHubOptions, WsHubStats } from './hub.ts';
export { LiveFeedClient } from './client.ts';
export type { ChannelState, LiveFeedClientOptions } from './client.ts';
export { Channel, ClientMessage, channelPattern } from './protocol.ts';
export type { ServerMessage } from './protocol.ts';
