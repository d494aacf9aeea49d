/**
 * Everything the CLI takes from the library, in one place: the package's public entry, like any user.
 */
export * from '../src/node.js';
