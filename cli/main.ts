import { pathToFileURL } from 'node:url';
import { InsightGpuError } from '../src/index.js';
import { ANALYZE_USAGE, analyzeCommand } from './analyze.js';
import { COMPARE_USAGE, compareCommand } from './compare.js';
import { CliError, runModuleCommand } from './module-command.js';
import { SWAP_USAGE, swapCommand } from './swap.js';

const USAGE = `usage:
  ${ANALYZE_USAGE}
  ${COMPARE_USAGE}
  ${SWAP_USAGE}
  insightgpu fetch-models …     download a model pack or inswapper_128
  insightgpu forge-models …     build replica models
  insightgpu bench …            benchmarks`;

/** Runs one CLI command; returns the process exit code (errors are printed, not thrown). */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'analyze': return await analyzeCommand(rest);
      case 'compare': return await compareCommand(rest);
      case 'swap': return await swapCommand(rest);
      case 'fetch-models': return await runModuleCommand('models/fetch/cli', 'fetchModelsCommand', rest);
      case 'forge-models': return await runModuleCommand('models/forge/cli', 'forgeModelsCommand', rest);
      case 'bench': return await runModuleCommand('bench/node/bench', 'main', rest);
      case undefined: case 'help': case '--help': case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`unknown command '${command}'\n${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    if (error instanceof InsightGpuError || error instanceof CliError) {
      process.stderr.write(`insightgpu ${command}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

// Run directly (`npx tsx cli/main.ts …`); bin/insightgpu.js imports and calls main instead.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
