#!/usr/bin/env node
// The `opdomain` command: re-launches Node with the flags the runtime needs.
import { launch } from './launch.js';

launch('gateway/main.ts', process.argv.slice(2));
