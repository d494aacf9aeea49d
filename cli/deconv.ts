#!/usr/bin/env node
/**
 * The `deconv` executable (package.json `bin`, built to dist/cli/deconv.js). See cli/main.ts.
 */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
