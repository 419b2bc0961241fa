/**
 * @module
 * Everything the server, the terminal client and the scripts share beyond the bot API: the codec,
 * framing, validation and the queue (like nats.js's internal_mod.ts). Bots import ./index.ts.
 */
export * from './index.js';
export { encode, decode, encodePayload } from './codec.js';
export { encodeFrame, FrameDecoder, HEADER_BYTES } from './frame.js';
export { labelOf, parseClientMessage, parseServerMessage, textProblem, topicProblem } from './validate.js';
export { AsyncQueue } from './queue.js';
export { lookalikeKeys, skeleton } from './skeleton.js';
