// Composes subgraph SDL files with Apollo's composition and prints a JSON report:
// errors, hints, the supergraph SDL and the API schema's types and fields.
// Usage: node compose.mjs payments=path.graphql credit=path.graphql ...
import { readFileSync } from 'node:fs';
import { peer } from './peers.mjs';
const { composeServices } = await peer('@apollo/composition');
const { parse, isObjectType, isInterfaceType, isInputObjectType, isEnumType, isUnionType } = await peer('graphql');

const services = process.argv.slice(2).map((arg) => {
  const [name, path] = arg.split('=');
  return { name, url: `http://${name}.invalid/graphql`, typeDefs: parse(readFileSync(path, 'utf8')) };
});
const result = composeServices(services);
const report = {
  errors: (result.errors ?? []).map((e) => e.message),
  hints: (result.hints ?? []).map((h) => ({ code: h.definition.code, message: h.message })),
  supergraphSdl: result.supergraphSdl ?? null,
  api: null,
};
if (!result.errors) {
  const api = result.schema.toAPISchema().toGraphQLJSSchema();
  const types = {};
  for (const [name, type] of Object.entries(api.getTypeMap())) {
    if (name.startsWith('__')) continue;
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      types[name] = Object.keys(type.getFields()).sort();
    } else if (isEnumType(type)) {
      types[name] = type.getValues().map((v) => v.name).sort();
    } else if (isUnionType(type)) {
      types[name] = type.getTypes().map((t) => t.name).sort();
    } else {
      types[name] = [];
    }
  }
  report.api = types;
}
console.log(JSON.stringify(report));
