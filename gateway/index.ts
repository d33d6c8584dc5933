// gateway/: the only door — core services, HTTP API, CLI, console. Nothing imports gateway/.
export * from '../services/index.ts';
export { buildApp, type AppOptions } from './http/index.ts';
export { runCli, buildProgram, type CliIO } from './cli/program.ts';
