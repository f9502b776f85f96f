// A real Apollo Federation gateway in front of fingraph's subgraphs.
// Usage: node federation_gateway.mjs PORT payments=http://127.0.0.1:P1/graphql credit=... funds=...
// Prints {"ready": url} once it serves; forwards Authorization to the subgraphs.
import { peer } from './peers.mjs';
const { ApolloServer } = await peer('@apollo/server');
const { startStandaloneServer } = await peer('@apollo/server/standalone');
const { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } = await peer('@apollo/gateway');

const [port, ...specs] = process.argv.slice(2);
const subgraphs = specs.map((spec) => {
  const [name, url] = spec.split('=');
  return { name, url };
});

class ForwardAuthorization extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    if (context.authorization) request.http.headers.set('authorization', context.authorization);
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: new IntrospectAndCompose({ subgraphs }),
  buildService: ({ url }) => new ForwardAuthorization({ url }),
});
const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(port), host: '127.0.0.1' },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(JSON.stringify({ ready: url }));
process.on('SIGTERM', async () => { await server.stop(); process.exit(0); });
