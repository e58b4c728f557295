/** Bar charts of the results (chart.js): median and cold-start time per model input, one bar per backend. */
import { BarController, BarElement, CategoryScale, Chart, Legend, LogarithmicScale, Title, Tooltip } from 'chart.js';
import type { BenchReport } from './bench-core.js';
import type { BackendId } from './runners.js';

Chart.register(BarController, BarElement, CategoryScale, LogarithmicScale, Legend, Title, Tooltip);

const COLOURS: Readonly<Record<BackendId, string>> = {
  'insightgpu-webgpu': '#1f77b4',
  'insightgpu-cpu': '#6baed6',
  'ort-webgpu': '#d62728',
  'ort-wasm': '#ff9896',
};

const charts = new Map<HTMLCanvasElement, Chart>();

/** Draws (or redraws) one chart; times span orders of magnitude across backends, hence the log axis. */
export function drawChart(canvas: HTMLCanvasElement, report: BenchReport, field: 'median_ms' | 'cold_ms', title: string): void {
  const labels: string[] = [];
  for (const r of report.rows) {
    const label = `${r.model} ${r.dims.join('×')}`;
    if (!labels.includes(label)) labels.push(label);
  }
  const datasets = report.settings.backends.map((backend) => ({
    label: backend,
    backgroundColor: COLOURS[backend],
    data: labels.map((label) => {
      const row = report.rows.find((r) => r.backend === backend && `${r.model} ${r.dims.join('×')}` === label);
      return row?.status === 'ok' ? row[field] ?? null : null;
    }),
  }));
  charts.get(canvas)?.destroy();
  charts.set(canvas, new Chart(canvas, {
    type: 'bar',
    data: { labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      // No animation: the headless run screenshots the page right after the results arrive.
      animation: false,
      plugins: { title: { display: true, text: title } },
      scales: { y: { type: 'logarithmic', title: { display: true, text: 'ms (log scale)' } } },
    },
  }));
}
