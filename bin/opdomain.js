#!/usr/bin/env -S node --no-node-snapshot
// The `opdomain` command: runs the CLI with the flags the runtime needs (bin/launch.js).
import { launch } from './launch.js';

launch('gateway/main.ts', process.argv.slice(2));
