/**
 * The code blocks of the repository's Markdown files, typechecked as a user's modules against the package's source.
 *
 * Each ```ts / ```typescript block becomes a `.mts` module and each ```js / ```javascript block a `.mjs` module
 * (checked as JavaScript) in a temporary folder, whose generated tsconfig maps `insightgpu` and its subpaths (the
 * keys of package.json's "exports") to the source entry points, so no built dist is needed. The compiler options are
 * the repository's own (strict), read from tsconfig.json.
 *
 * An HTML comment on the lines just before a fence (hidden on GitHub) says how to check the block:
 *
 *     <!-- snippet browser
 *     declare const bytes: Uint8Array;
 *     -->
 *
 * The words after `snippet` are flags: `browser` resolves the imports to the package's browser entries instead of the
 * Node ones; `no-check: REASON` leaves the block out, with the reason said. The lines after the first form a hidden
 * prelude put before the block's code: the declarations a deliberately partial block takes from the text around it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** One fenced block of a Markdown file. */
export interface Snippet {
  /** The Markdown file, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly fenceLine: number;
  readonly lang: 'ts' | 'js';
  readonly code: string;
  /** Hidden declarations from the comment before the fence ('' if none). */
  readonly prelude: string;
  readonly browser: boolean;
  /** Set when the comment says the block is not checked, with why. */
  readonly noCheck?: string;
}

/** A compiler error, placed on the Markdown line it comes from. */
export interface SnippetError {
  readonly snippet: Snippet;
  /** `README.md:162:7` for a line of the block, `README.md:159 (prelude line 2)` for one of the hidden prelude. */
  readonly where: string;
  readonly message: string;
}

const LANGS: Record<string, Snippet['lang']> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js' };
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.cache', '.gpu', 'test-artifacts']);

/** The Markdown files of the repository (README.md, docs/, examples/ and the READMEs beside the code). */
export function markdownFiles(root = repoRoot): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(path.join(dir, entry.name));
      } else if (entry.name.endsWith('.md')) {
        out.push(path.relative(root, path.join(dir, entry.name)));
      }
    }
  };
  walk(root);
  return out.sort();
}

/** The ts and js blocks of one Markdown text, with the comment before each read. */
export function extractSnippets(text: string, file: string): Snippet[] {
  const lines = text.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const fence = open[2]!;
    let end = i + 1;
    while (end < lines.length && !(lines[end]!.trim().startsWith(fence) && lines[end]!.trim().replace(/[`~]/g, '') === '')) end++;
    const lang = LANGS[open[3]!.toLowerCase()];
    if (lang !== undefined) {
      const comment = commentBefore(lines, i);
      out.push({
        file,
        fenceLine: i + 1,
        lang,
        code: lines.slice(i + 1, end).join('\n'),
        prelude: comment?.prelude ?? '',
        browser: comment?.flags.includes('browser') ?? false,
        ...(comment?.noCheck !== undefined ? { noCheck: comment.noCheck } : {}),
      });
    }
    i = end;
  }
  return out;
}

/** The `<!-- snippet … -->` comment ending on the line before the fence at `fence`, if there is one. */
function commentBefore(lines: readonly string[], fence: number): { flags: string[]; noCheck?: string; prelude: string } | undefined {
  if (fence === 0 || lines[fence - 1]!.trim() !== '-->' && !/^<!--\s*snippet\b.*-->\s*$/.test(lines[fence - 1]!.trim())) return undefined;
  let start = fence - 1;
  while (start >= 0 && !lines[start]!.trimStart().startsWith('<!--')) start--;
  if (start < 0) return undefined;
  const head = /^<!--\s*snippet\b(.*?)(-->)?\s*$/.exec(lines[start]!.trim());
  if (head === null) return undefined;
  const words = head[1]!.trim();
  const noCheck = /\bno-check:\s*(.+)$/.exec(words)?.[1]?.trim();
  if (/\bno-check\b/.test(words) && (noCheck === undefined || noCheck === '')) {
    throw new Error(`line ${start + 1}: a no-check snippet says why ("no-check: REASON")`);
  }
  const flags = words.replace(/\bno-check:.*$/, '').split(/\s+/).filter((w) => w !== '');
  for (const flag of flags) if (flag !== 'browser') throw new Error(`line ${start + 1}: unknown snippet flag '${flag}'`);
  const prelude = head[2] !== undefined ? '' : lines.slice(start + 1, fence - 1).join('\n');
  return { flags, ...(noCheck !== undefined ? { noCheck } : {}), prelude };
}

/** Every snippet of the repository's Markdown files. */
export function repoSnippets(root = repoRoot): Snippet[] {
  return markdownFiles(root).flatMap((f) => extractSnippets(readFileSync(path.join(root, f), 'utf8'), f));
}

/** package.json's "exports" subpaths, each with the source file of its `node` and `browser` conditions. */
export function sourceEntries(root = repoRoot): Record<string, { node: string; browser: string }> {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };
  const out: Record<string, { node: string; browser: string }> = {};
  for (const [sub, target] of Object.entries(pkg.exports)) {
    if (typeof target !== 'object' || target === null) continue; // "./package.json": a file, not a module
    const conditions = target as Record<string, { default?: string }>;
    const toSource = (condition: string): string => {
      const built = conditions[condition]?.default ?? conditions['default']?.default;
      if (built === undefined) throw new Error(`package.json exports['${sub}'] has no '${condition}' or 'default' target`);
      // ./dist/src/node.js is built from ./src/node.ts.
      return path.join(root, built.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'));
    };
    out[sub === '.' ? pkg.name : `${pkg.name}/${sub.replace(/^\.\//, '')}`] = { node: toSource('node'), browser: toSource('browser') };
  }
  return out;
}

/** Typechecks the snippets (the no-check ones left out) and returns their errors; none when all compile. */
export function checkSnippets(snippets: readonly Snippet[], root = repoRoot): SnippetError[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'insightgpu-snippets-'));
  try {
    const errors: SnippetError[] = [];
    for (const target of ['node', 'browser'] as const) {
      const group = snippets.filter((s) => s.noCheck === undefined && s.browser === (target === 'browser'));
      if (group.length > 0) errors.push(...checkGroup(group, target, path.join(dir, target), root));
    }
    return errors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function checkGroup(group: readonly Snippet[], target: 'node' | 'browser', dir: string, root: string): SnippetError[] {
  mkdirSync(dir, { recursive: true });
  const byFile = new Map<string, Snippet>();
  for (const s of group) {
    const name = `${s.file.replace(/[^\w.-]+/g, '_')}-L${s.fenceLine}.${s.lang === 'ts' ? 'mts' : 'mjs'}`;
    // `export {}` keeps a block without imports a module (top-level await, its own scope).
    writeFileSync(path.join(dir, name), `${s.prelude}\n${s.code}\nexport {};\n`);
    byFile.set(name, s);
  }
  const repoConfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
  const { outDir: _o, rootDir: _r, declaration: _d, sourceMap: _s, ...options } = repoConfig.compilerOptions;
  const paths = Object.fromEntries(Object.entries(sourceEntries(root)).map(([name, files]) => [name, [files[target]]]));
  const config = {
    compilerOptions: {
      ...options,
      noEmit: true,
      allowJs: true,
      checkJs: true,
      // The folder is outside the repository: its type packages come from the repository's node_modules.
      typeRoots: [path.join(root, 'node_modules', '@types'), path.join(root, 'node_modules')],
      paths,
    },
    files: [...byFile.keys()],
  };
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(config, null, 2));
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8' });
  if (run.error !== undefined) throw run.error;
  const output = `${run.stdout}${run.stderr}`;
  const errors: SnippetError[] = [];
  let last: SnippetError | undefined;
  for (const line of output.split('\n')) {
    const m = /^(.*?)\((\d+),(\d+)\): error (TS\d+: .*)$/.exec(line);
    if (m === null) {
      // A message's continuation lines (indented) belong to the error before them.
      if (last !== undefined && /^\s+\S/.test(line)) {
        last = { ...last, message: `${last.message}\n${line}` };
        errors[errors.length - 1] = last;
      }
      continue;
    }
    const snippet = byFile.get(path.basename(m[1]!));
    if (snippet === undefined) {
      // An error in the library's source under these options: the snippets cannot be judged until it is fixed.
      throw new Error(`tsc reports an error outside the snippets: ${line}`);
    }
    last = { snippet, where: place(snippet, Number(m[2]), Number(m[3])), message: m[4]! };
    errors.push(last);
  }
  if (run.status !== 0 && errors.length === 0) throw new Error(`tsc failed without a snippet error:\n${output}`);
  return errors;
}

function place(s: Snippet, line: number, column: number): string {
  const preludeLines = s.prelude.split('\n').length;
  if (line <= preludeLines) return `${s.file}:${s.fenceLine - 1} (the snippet comment's prelude line ${line})`;
  return `${s.file}:${s.fenceLine + line - preludeLines}:${column}`;
}

/** The errors as the test prints them. */
export function formatErrors(errors: readonly SnippetError[]): string {
  return errors.map((e) => `${e.where}: ${e.message}`).join('\n');
}
