/** The results table as rows of cells: the page renders it as HTML, `npm run bench:browser` as text. */
import { formatMs } from '../../web/lib/stats.js';
import type { BenchReport, BenchRow } from './bench-core.js';

export const TABLE_HEADER = ['model', 'input', 'backend', 'cold ms', 'median ms', 'p90 ms', 'ratio', 'max |Δ|'] as const;

function ratioCell(row: BenchRow): string {
  if (!row.peer) return '';
  return row.ratio === null || row.ratio === undefined ? `— vs ${row.peer}` : `${row.ratio.toFixed(2)}× ${row.peer}`;
}

function diffCell(row: BenchRow): string {
  if (row.max_abs_diff === undefined || row.reference === row.backend) return '';
  return row.max_abs_diff === null ? 'shape differs' : row.max_abs_diff.toExponential(1);
}

export function tableCells(row: BenchRow): string[] {
  const dims = row.dims.join('×');
  if (row.status === 'error') return [row.model, dims, row.backend, 'error', row.error ?? '', '', '', ''];
  return [row.model, dims, row.backend, formatMs(row.cold_ms), formatMs(row.median_ms), formatMs(row.p90_ms), ratioCell(row), diffCell(row)];
}

/** Fixed-width text, errors truncated so one long message cannot wreck the layout. */
export function formatTextTable(report: BenchReport): string {
  const body = report.rows.map((r) => tableCells(r).map((c) => (c.length > 60 ? `${c.slice(0, 57)}…` : c)));
  const all = [[...TABLE_HEADER], ...body];
  const widths = TABLE_HEADER.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(all[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function describeSettings(report: BenchReport): string {
  const s = report.settings;
  return `${s.warmup} warm-up + ${s.runs} timed runs per row; cold = session create + first run; `
    + 'ratio = our median / onnxruntime-web median (lower is better); max |Δ| = largest output difference from the reference backend';
}
