// The operation text of every query relay-compiler wrote (what a Relay app sends), as JSON.
// Usage: node relay_texts.mjs ARTIFACT_DIRECTORY
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const directory = resolve(process.argv[2]);
const require = createRequire(join(directory, 'index.js'));
const texts = {};
// Operations only: a fragment's artifact requires its refetch query by a path Node does not resolve.
const operations = readdirSync(directory)
  .filter((f) => f.endsWith('.graphql.js') && readFileSync(join(directory, f), 'utf8').includes('"kind": "Request"'));
for (const file of operations) {
  const artifact = require(join(directory, file));
  if (artifact.kind === 'Request') texts[artifact.params.name] = artifact.params.text;
}
process.stdout.write(JSON.stringify(texts) + '\n');
