// A real graphql-ws client: subscribes, prints one JSON line per message, exits after N.
// Usage: node subscribe.mjs ws://127.0.0.1:PORT/graphql TOKEN COUNT 'subscription { ... }' ['{"variable": ...}']
import { peer } from './peers.mjs';
const { createClient } = await peer('graphql-ws');
const { default: WebSocket } = await peer('ws');

const [url, token, count, query, variables] = process.argv.slice(2);
const wanted = Number(count);
const print = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
  retryAttempts: 0,
  on: {
    connected: () => print({ type: 'connected' }),
    closed: (event) => print({ type: 'closed', code: event.code, reason: event.reason }),
  },
});

let seen = 0;
const timer = setTimeout(() => { print({ type: 'timeout' }); client.dispose(); process.exit(2); }, 30000);
client.subscribe({ query, variables: variables ? JSON.parse(variables) : undefined }, {
  next: (message) => {
    print({ type: 'next', payload: message });
    seen += 1;
    if (message.errors || seen >= wanted) { clearTimeout(timer); client.dispose(); }
  },
  error: (error) => { print({ type: 'error', error: String(error?.message ?? error?.reason ?? error) }); clearTimeout(timer); client.dispose(); },
  complete: () => { print({ type: 'complete' }); clearTimeout(timer); },
});
