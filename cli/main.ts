import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InsightGpuError, PipelineOptionError } from '../src/index.js';
import { asksForHelp, optionWords } from './args.js';
import { ANALYZE_HELP, ANALYZE_USAGE, analyzeCommand } from './analyze.js';
import { COMPARE_HELP, COMPARE_TROUBLE_EXIT, COMPARE_USAGE, compareCommand } from './compare.js';
import { INDEX_USAGE, indexCommand, indexCommandName } from './index-command.js';
import { DOCTOR_USAGE, doctorCommand } from './doctor.js';
import { CliError, runModuleCommand } from './module-command.js';
import { SWAP_USAGE, swapCommand } from './swap.js';
import { VIDEO_USAGE, videoCommand } from './video.js';

/** The benchmarks need bench/ and onnxruntime (dev dependencies): a repository checkout has them, the installed package does not. */
const BENCH_SOURCE = fileURLToPath(new URL(import.meta.url.includes('/dist/cli/') ? '../../bench/node/bench.ts' : '../bench/node/bench.ts', import.meta.url));
const benchAvailable = (): boolean => existsSync(BENCH_SOURCE);

function usage(): string {
  return `usage:
  ${ANALYZE_USAGE}
  ${COMPARE_USAGE}
  ${SWAP_USAGE}
  ${VIDEO_USAGE}
  ${INDEX_USAGE}
  insightgpu fetch-models …     download a model pack or inswapper_128
  insightgpu forge-models …     build replica models
  ${DOCTOR_USAGE}${benchAvailable() ? '\n  insightgpu bench …            benchmarks (repository checkout only)' : ''}
  insightgpu --version
Every command takes --help (or: insightgpu help COMMAND); --verbose (or INSIGHTGPU_DEBUG=1) also shows the native GPU drivers' own messages.
Exit codes: 0 success; 1 an error (a bad option, input, model or file: the message says which); 2 an unknown
command, or none; 3 analyze (index add, index search) wrote every result but some images failed (their error records say
why); 130 (143) stopped by Ctrl-C (SIGTERM); 141 the reader of stdout went away (\`… | head -1\`): the command
stops at once and prints nothing more, as a Unix tool killed by SIGPIPE.`;
}

/** The package's version: package.json sits one folder up from cli/ (tsx) or two from dist/cli/ (compiled). */
function version(): string {
  for (const up of ['../package.json', '../../package.json']) {
    const file = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

/** Exit status when the reader of stdout or stderr has gone: 128 + SIGPIPE (13), what a shell reports for `yes | head -1`. */
export const READER_GONE_EXIT = 141;

const isBrokenPipe = (error: unknown): boolean => (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';

let watchingReaders = false;
/**
 * A reader that closes the pipe early (`insightgpu index info F | head -1`) is the user's choice, not an error: the
 * first write that meets the closed pipe ends the process with READER_GONE_EXIT, printing nothing (there is nobody
 * to print to), instead of Node's unhandled 'error' event (a stack trace, exit 1) or a run that goes on writing
 * into the void. Node ignores SIGPIPE, so the broken pipe arrives as EPIPE on the stream; installed once per
 * process, for every command.
 */
function exitWhenReaderGoes(): void {
  if (watchingReaders) return;
  watchingReaders = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: Error) => {
      if (isBrokenPipe(error)) process.exit(READER_GONE_EXIT);
      throw error; // as without a listener: any other stream error stays uncaught
    });
  }
}

/** Runs one CLI command; returns the process exit code (errors are printed, not thrown). */
export async function main(argv: readonly string[]): Promise<number> {
  // --verbose anywhere among the options: every native message reaches stderr (Dawn's and the Vulkan drivers'
  // included). After `--` it is an operand (a file so named), as every option is.
  const options = optionWords(argv);
  if (options.includes('--verbose')) process.env['INSIGHTGPU_DEBUG'] = '1';
  exitWhenReaderGoes();
  const [command, ...rest] = [...options.filter((a) => a !== '--verbose'), ...argv.slice(options.length)];
  try {
    switch (command) {
      case 'analyze':
        if (asksForHelp(rest)) { process.stdout.write(`usage: ${ANALYZE_USAGE}\n${ANALYZE_HELP}\n`); return 0; }
        return await analyzeCommand(rest);
      case 'compare':
        if (asksForHelp(rest)) { process.stdout.write(`usage: ${COMPARE_USAGE}\n${COMPARE_HELP}\n`); return 0; }
        return await compareCommand(rest);
      case '--version': case '-V': case 'version':
        process.stdout.write(`insightgpu ${version()}\n`);
        return 0;
      case 'swap': return await swapCommand(rest);
      case 'video': return await videoCommand(rest);
      case 'index': return await indexCommand(rest);
      case 'doctor': return await doctorCommand(rest, version());
      case 'fetch-models': return await runModuleCommand('models/fetch/cli', 'fetchModelsCommand', rest);
      case 'forge-models': return await runModuleCommand('models/forge/cli', 'forgeModelsCommand', rest);
      case 'bench':
        if (!benchAvailable()) {
          throw new CliError('bench ships with the repository, not the package (it measures against onnxruntime-node and -web, dev dependencies): clone it, `npm ci`, then `npm run bench -- --help`');
        }
        return await runModuleCommand('bench/node/bench', 'main', rest);
      case undefined: case 'help': case '--help': case '-h':
        // `insightgpu help analyze` (`help index add`) is that command's --help, as git's and npm's help are.
        if (command === 'help' && rest.length > 0) return await main([...rest, '--help']);
        process.stdout.write(`${usage()}\n`);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`unknown command '${command}'\n${usage()}\n`);
        return 2;
    }
  } catch (error) {
    // A write to the closed pipe that a command awaited (video's drain) rejects with EPIPE: the same quiet end.
    if (isBrokenPipe(error)) return READER_GONE_EXIT;
    const name = command === 'index' ? indexCommandName(rest) : command;
    // compare keeps 1 for "the files differ", as diff and cmp do, so a script tells that from a file it could not read.
    const failed = command === 'compare' ? COMPARE_TROUBLE_EXIT : 1;
    if (error instanceof PipelineOptionError && CLI_FLAG_OF[error.option] !== undefined) {
      process.stderr.write(`insightgpu ${name}: option ${CLI_FLAG_OF[error.option]}: ${error.why}\n`);
      return failed;
    }
    if (error instanceof InsightGpuError || error instanceof CliError) {
      process.stderr.write(`insightgpu ${name}: ${error.message}\n`);
      return failed;
    }
    // A file the system refused (ENOENT, EISDIR, EACCES, ENOSPC, …) is the user's to fix: one line, not a stack trace.
    if (isSystemError(error)) {
      process.stderr.write(`insightgpu ${name}: ${error.message.split('\n')[0]}\n`);
      return failed;
    }
    throw error;
  }
}

/**
 * The flag behind an option that FaceAnalysis refuses by its API name once the models are loaded (prepare checks a
 * det size against the detector's graph), or the video decoder by its option name (an --ffmpeg that is a folder):
 * the user typed --det-size, so the line names --det-size.
 */
const CLI_FLAG_OF: Readonly<Record<string, string>> = { detSize: '--det-size', detThresh: '--det-thresh', maxNum: '--max-num', ffmpeg: '--ffmpeg' };

/** An error from a Node system call: it carries the call and the errno code (`{ code: 'ENOENT', syscall: 'open' }`). */
function isSystemError(error: unknown): error is NodeJS.ErrnoException & { code: string; syscall: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

// Run directly (`npx tsx cli/main.ts …`); bin/insightgpu.js imports and calls main instead.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
