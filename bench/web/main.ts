/**
 * The benchmark page. Models come from the site, from files or URLs the user gives, or are forged in the page
 * (buffalo_l replicas, built in a worker). Settings come from the form or from the URL (models=a.onnx,b.onnx
 * &replicas=genderage,w600k_r50&seed=N&sizes=320&backends=…&warmup=1&runs=3&autorun=1), which is how
 * `npm run bench:browser` drives it. The finished report is kept on
 * `window.insightgpuBench` for automation and offered as a JSON download.
 */
import { adapterLabel, describeAdapter, type AdapterReport } from '../../web/lib/gpu-info.js';
import { runBenchmark, type BenchModelSource, type BenchReport, type BenchSettings } from './bench-core.js';
import { drawChart } from './charts.js';
import { forgeInWorker } from './forge-client.js';
import { DEFAULT_SEED, REPLICA_NAMES } from '../../models/forge/names.js';
import { BACKENDS, createRunner, isBackendId, type BackendId } from './runners.js';
import { TABLE_HEADER, describeSettings, tableCells } from './table.js';

/** What the page forged for the last run: enough to check the bytes equal the Node forge's. */
export interface ForgedRecord {
  readonly replica: string;
  readonly seed: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly milliseconds: number;
}

export interface BenchPageState {
  state: 'idle' | 'running' | 'done' | 'failed';
  report?: BenchReport;
  forged?: ForgedRecord[];
  error?: string;
}

declare global {
  interface Window { insightgpuBench: BenchPageState }
}

window.insightgpuBench = { state: 'idle' };

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new BenchPageError(`page element #${id} is missing`);
  return el as T;
};

class BenchPageError extends Error {
  override readonly name = 'BenchPageError';
}

const params = new URLSearchParams(location.search);
const ownModels: BenchModelSource[] = [];
let adapter: AdapterReport = { available: false, reason: 'not checked yet' };

function setStatus(text: string, isError = false): void {
  const el = $('status');
  el.textContent = text;
  el.className = isError ? 'error' : 'muted';
}

async function showAdapter(): Promise<void> {
  adapter = await describeAdapter();
  $('adapter-label').textContent = adapterLabel(adapter);
  $('adapter-label').className = adapter.available ? '' : 'warning';
  $('adapter-json').textContent = JSON.stringify(adapter, null, 2);
}

async function listServedModels(): Promise<void> {
  const box = $('served-models');
  const wanted = params.get('models')?.split(',').filter((s) => s) ?? ['mobilefacenet.onnx'];
  try {
    const res = await fetch('/models/index.json');
    if (!res.ok) throw new BenchPageError(`HTTP ${res.status}`);
    const { models } = (await res.json()) as { models: { name: string; bytes: number }[] };
    box.querySelector('p')?.remove();
    if (models.length === 0) box.append('no models are served; open files or give a URL below');
    for (const m of models) box.append(checkbox(m.name, wanted.includes(m.name), ` (${(m.bytes / 1e6).toFixed(1)} MB)`));
    const missing = wanted.filter((w) => !models.some((m) => m.name === w));
    if (params.has('models') && missing.length) throw new BenchPageError(`requested models not served: ${missing.join(', ')}`);
  } catch (e) {
    box.append(Object.assign(document.createElement('p'), { className: 'error', textContent: `model list unavailable: ${String(e)}` }));
    throw e;
  }
}

function buildForgeChoices(): void {
  const wanted = params.get('replicas')?.split(',').filter((s) => s) ?? [];
  const unknown = wanted.filter((w) => !(REPLICA_NAMES as readonly string[]).includes(w));
  if (unknown.length) throw new BenchPageError(`unknown replica(s) ${unknown.join(', ')} (known: ${REPLICA_NAMES.join(', ')})`);
  const box = $('forged-models');
  const seedLabel = $('forge-seed').closest('label');
  for (const name of REPLICA_NAMES) {
    box.insertBefore(checkbox(name, wanted.includes(name)), seedLabel); // the checkboxes in catalog order, the seed last
  }
  $<HTMLInputElement>('forge-seed').value = params.get('seed') ?? String(DEFAULT_SEED);
}

/** A checkbox labelled with its value (and an optional note after it). */
function checkbox(value: string, checked: boolean, note = ''): HTMLLabelElement {
  const label = document.createElement('label');
  const cb = document.createElement('input');
  cb.type = 'checkbox';
  cb.value = value;
  cb.checked = checked;
  label.append(cb, ` ${value}${note}`);
  return label;
}

function readSeed(): number {
  const text = $<HTMLInputElement>('forge-seed').value.trim();
  const seed = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(seed)) throw new BenchPageError(`the forge seed must be a non-negative integer, got '${text}'`);
  return seed;
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Forges the ticked replicas in a worker; each becomes a model row labelled as forged. */
async function forgeChosen(): Promise<{ models: BenchModelSource[]; records: ForgedRecord[] }> {
  const names = [...$('forged-models').querySelectorAll<HTMLInputElement>('input[type=checkbox]:checked')].map((cb) => cb.value);
  if (names.length === 0) return { models: [], records: [] };
  const seed = readSeed();
  const forged = await forgeInWorker({ names, seed }, (name) => setStatus(`forging ${name} (seed ${seed})…`));
  const records = await Promise.all(forged.map(async (f) => ({
    replica: f.replica, seed, bytes: f.bytes.byteLength, sha256: await sha256Hex(f.bytes), milliseconds: f.milliseconds,
  })));
  return { models: forged, records };
}

function addOwnModel(model: BenchModelSource): void {
  ownModels.push(model);
  const li = document.createElement('li');
  li.textContent = `${model.name} (${(model.bytes.byteLength / 1e6).toFixed(1)} MB)`;
  $('own-models').append(li);
}

function buildBackendChoices(): void {
  const chosen = params.get('backends')?.split(',') ?? [...BACKENDS];
  for (const id of chosen) if (!isBackendId(id)) throw new BenchPageError(`unknown backend '${id}' (known: ${BACKENDS.join(', ')})`);
  const box = $('backends');
  for (const id of BACKENDS) box.append(checkbox(id, chosen.includes(id)));
}

function readSettings(): BenchSettings {
  const sizes = $<HTMLInputElement>('sizes').value.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
  const int = (id: string, min: number): number => Math.max(min, Math.floor(Number($<HTMLInputElement>(id).value) || 0));
  const backends = [...$('backends').querySelectorAll<HTMLInputElement>('input:checked')].map((cb) => cb.value).filter(isBackendId);
  const rowTimeoutMs = Math.max(0, Number(params.get('rowTimeout') ?? 0) * 1000);
  return { sizes: sizes.length ? sizes : [640], warmup: int('warmup', 0), runs: int('runs', 1), backends, rowTimeoutMs };
}

async function fetchModel(url: string, name: string): Promise<BenchModelSource> {
  const res = await fetch(url);
  if (!res.ok) throw new BenchPageError(`${url}: HTTP ${res.status}`);
  return { name, bytes: new Uint8Array(await res.arrayBuffer()) };
}

function renderTable(report: BenchReport): void {
  const table = $<HTMLTableElement>('results');
  table.tHead!.replaceChildren(row(TABLE_HEADER, 'th'));
  table.tBodies[0]!.replaceChildren(...report.rows.map((r) => {
    const tr = row(tableCells(r), 'td');
    tr.dataset.backend = r.backend;
    tr.dataset.status = r.status;
    if (r.status === 'error') tr.cells[4]!.className = 'err';
    return tr;
  }));
  $('settings-note').textContent = describeSettings(report);
}

function row(cells: readonly string[], tag: 'td' | 'th'): HTMLTableRowElement {
  const tr = document.createElement('tr');
  cells.forEach((text, i) => {
    const cell = document.createElement(tag);
    cell.textContent = text;
    if (i <= 2) cell.className = 'text';
    tr.append(cell);
  });
  return tr;
}

async function run(): Promise<void> {
  const button = $<HTMLButtonElement>('run');
  button.disabled = true;
  window.insightgpuBench = { state: 'running' };
  const progress = $<HTMLProgressElement>('progress');
  try {
    const settings = readSettings();
    if (settings.backends.length === 0) throw new BenchPageError('choose at least one backend');
    const served = [...$('served-models').querySelectorAll<HTMLInputElement>('input:checked')].map((cb) => cb.value);
    setStatus('loading models…');
    const fetched = await Promise.all(served.map((name) => fetchModel(`/models/${encodeURIComponent(name)}`, name)));
    const forged = await forgeChosen();
    const models = [...fetched, ...forged.models, ...ownModels];
    if (models.length === 0) throw new BenchPageError('choose at least one model');
    progress.hidden = false;
    progress.value = 0;
    let done = 0;
    const report = await runBenchmark(models, settings, createRunner, adapter, (message, finished) => {
      setStatus(message);
      if (finished) progress.value = ++done;
      // The total is known only once each model's input cases are read; models × sizes × backends bounds it.
      progress.max = Math.max(done, models.length * settings.backends.length * Math.max(1, settings.sizes.length));
    });
    renderTable(report);
    drawChart($<HTMLCanvasElement>('chart-median'), report, 'median_ms', 'Median run time');
    drawChart($<HTMLCanvasElement>('chart-cold'), report, 'cold_ms', 'Cold start (create + first run)');
    const failed = report.rows.filter((r) => r.status === 'error').length;
    setStatus(`done: ${report.rows.length} rows${failed ? `, ${failed} failed (see table)` : ''}`);
    progress.value = progress.max;
    $<HTMLButtonElement>('export').disabled = false;
    window.insightgpuBench = { state: 'done', report, forged: forged.records };
  } catch (e) {
    setStatus(String(e), true);
    window.insightgpuBench = { state: 'failed', error: String(e) };
  } finally {
    button.disabled = false;
  }
}

function exportJson(): void {
  const report = window.insightgpuBench.report;
  if (!report) return;
  const url = URL.createObjectURL(new Blob([JSON.stringify(report, null, 2)], { type: 'application/json' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: `insightgpu-bench-${report.date.replace(/[:.]/g, '-')}.json` });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function init(): Promise<void> {
  for (const [param, id] of [['sizes', 'sizes'], ['warmup', 'warmup'], ['runs', 'runs']] as const) {
    const v = params.get(param);
    if (v !== null) $<HTMLInputElement>(id).value = v;
  }
  buildBackendChoices();
  buildForgeChoices();
  $('run').addEventListener('click', () => void run());
  $('export').addEventListener('click', exportJson);
  $<HTMLInputElement>('model-files').addEventListener('change', async (ev) => {
    for (const file of (ev.target as HTMLInputElement).files ?? []) addOwnModel({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
  });
  $<HTMLInputElement>('model-url').addEventListener('change', async (ev) => {
    const input = ev.target as HTMLInputElement;
    const url = input.value.trim();
    if (!url) return;
    try {
      addOwnModel(await fetchModel(url, url.split('/').pop() || url));
      input.value = '';
    } catch (e) {
      setStatus(`could not load ${url}: ${String(e)}`, true);
    }
  });
  await showAdapter();
  await listServedModels();
  if (params.get('autorun') === '1') await run();
}

init().catch((e: unknown) => {
  setStatus(String(e), true);
  window.insightgpuBench = { state: 'failed', error: String(e) };
});
