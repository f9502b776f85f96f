// Decodes a base64 ftv1 trace (stdin) with Apollo's own protobuf definitions; prints JSON.
import { readFileSync } from 'node:fs';
import { peer } from './peers.mjs';
const { default: protobuf } = await peer('@apollo/usage-reporting-protobuf');

const { Trace } = protobuf;
const encoded = readFileSync(0, 'utf8').trim();
const trace = Trace.decode(Buffer.from(encoded, 'base64'));
console.log(JSON.stringify(Trace.toObject(trace, { longs: String, defaults: false })));
