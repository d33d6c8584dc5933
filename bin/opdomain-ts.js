#!/usr/bin/env node
// Runs any TypeScript file of the project with the runtime's Node flags (used by `npm run bench`).
import { launch } from './launch.js';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: opdomain-ts FILE.ts [args…]');
  process.exit(2);
}
launch(file, args);
