/**
 * The CLI under tsx as a child process, SIGKILLed (or sent `signal`) once `file` holds `lines` complete lines: the
 * kill-and-resume tests' way to stop a run at a known point without its cooperation.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function runAndKill(cliArgs: readonly string[], file: string, lines: number, cwd: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ signal: NodeJS.Signals | null; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...cliArgs], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const poll = setInterval(() => {
      let text = '';
      try { text = readFileSync(file, 'utf8'); } catch { return; }
      if (text.split('\n').length - 1 >= lines && !sent) { sent = true; child.kill(signal); }
    }, 5);
    child.on('error', reject);
    child.on('exit', (code, exitSignal) => { clearInterval(poll); resolve({ signal: exitSignal, code, stderr }); });
  });
}
