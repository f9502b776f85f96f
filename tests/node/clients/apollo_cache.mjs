// Apollo Client's InMemoryCache as a web or mobile app configures it: the default config
// plus the possible types fingraph publishes (schema/possible-types.json) and the type policies
// of type-policies.json. Runs the steps
// tests/clients/test_apollo_cache.py sends on stdin, one ApolloClient per signed-in user,
// and prints one JSON object: each step's data, how many HTTP requests each step made
// (a read of the cache makes none), and every warning Apollo wrote.
// Usage: node apollo_cache.mjs URL POSSIBLE_TYPES_JSON TYPE_POLICIES_JSON DOCUMENTS.graphql... < steps.json
import { readFileSync } from 'node:fs';
import { peer } from '../peers.mjs';

// Apollo's development checks (cache data-loss warnings among them) run only with __DEV__,
// as in an app's development build; without it every warning is silent.
globalThis.__DEV__ = true;

const { ApolloClient, InMemoryCache, HttpLink } = await peer('@apollo/client');
const { loadDevMessages, loadErrorMessages } = await import('@apollo/client/dev');
const { parse, visit } = await peer('graphql');

loadDevMessages();
loadErrorMessages();
const warnings = [];
for (const level of ['warn', 'error', 'log', 'debug', 'info']) {
  console[level] = (...args) => warnings.push({ level, message: args.map(String).join(' ') });
}

const [url, possibleTypesPath, typePoliciesPath, ...documentPaths] = process.argv.slice(2);
const possibleTypes = JSON.parse(readFileSync(possibleTypesPath, 'utf8'));
const typePolicies = JSON.parse(readFileSync(typePoliciesPath, 'utf8'));
const definitions = documentPaths.flatMap((path) => parse(readFileSync(path, 'utf8')).definitions);
const fragments = new Map(definitions.filter((d) => d.kind === 'FragmentDefinition').map((d) => [d.name.value, d]));
const operations = new Map(definitions.filter((d) => d.kind === 'OperationDefinition').map((d) => [d.name.value, d]));

// One operation and the fragments it spreads (a server refuses unused ones).
function documentOf(name) {
  const operation = operations.get(name);
  if (!operation) throw new Error(`no operation ${name}`);
  const used = new Map();
  const pending = [operation];
  while (pending.length) {
    visit(pending.pop(), { FragmentSpread(node) {
      const fragment = fragments.get(node.name.value);
      if (!used.has(node.name.value)) { used.set(node.name.value, fragment); pending.push(fragment); }
    } });
  }
  return { kind: 'Document', definitions: [operation, ...used.values()] };
}

let requests = 0;
const counted = (input, init) => { requests += 1; return fetch(input, init); };
const clients = new Map();
function clientFor(token) {
  if (!clients.has(token)) {
    clients.set(token, new ApolloClient({
      link: new HttpLink({ uri: url, fetch: counted, headers: token ? { Authorization: `Bearer ${token}` } : {} }),
      cache: new InMemoryCache({ possibleTypes, typePolicies }),
    }));
  }
  return clients.get(token);
}

const steps = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const step of steps) {
  const client = clientFor(step.token);
  const query = documentOf(step.operation);
  const before = requests;
  let data;
  if (step.kind === 'query') {
    ({ data } = await client.query({ query, variables: step.variables, fetchPolicy: 'network-only' }));
  } else if (step.kind === 'mutate') {
    ({ data } = await client.mutate({ mutation: query, variables: step.variables }));
  } else if (step.kind === 'read') {
    data = client.readQuery({ query, variables: step.variables });
  } else {
    throw new Error(`unknown step kind ${step.kind}`);
  }
  results.push({ operation: step.operation, kind: step.kind, requests: requests - before, data });
}
process.stdout.write(JSON.stringify({ results, warnings }) + '\n');
