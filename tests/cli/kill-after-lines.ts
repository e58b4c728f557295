/**
 * The CLI under tsx as a child process, SIGKILLed once `file` holds `lines` complete lines: the kill-and-resume
 * tests' way to stop a run at a known point without its cooperation.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function runAndKill(cliArgs: readonly string[], file: string, lines: number, cwd: string): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...cliArgs], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const poll = setInterval(() => {
      let text = '';
      try { text = readFileSync(file, 'utf8'); } catch { return; }
      if (text.split('\n').length - 1 >= lines) child.kill('SIGKILL');
    }, 5);
    child.on('error', reject);
    child.on('exit', (_code, signal) => { clearInterval(poll); resolve({ signal, stderr }); });
  });
}
