// The npm packages the peer scripts need, imported so that a missing one says which it is
// and how to install it, instead of Node's bare ERR_MODULE_NOT_FOUND.
export const EXIT_MISSING_PEER = 3;

export async function peer(name) {
  try {
    return await import(name);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    console.error(`missing npm package "${name}" for the Node peer tests (tests/node): run make node-peers`
      + `\n(${error.message})`);
    process.exit(EXIT_MISSING_PEER);
  }
}
