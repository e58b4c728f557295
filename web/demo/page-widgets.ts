/** The demo page's self-contained widgets: the timings table, the sample photos and the JSON export. */
import type { ResultsFile } from '../../cli/results-format.js';
import type { StageTiming } from './analysis.js';
import { $ } from './page-dom.js';

/** The per-stage timings table. */
export function renderTimings(timings: readonly StageTiming[]): void {
  $<HTMLTableElement>('timings').tBodies[0]!.replaceChildren(...timings.map((t) => {
    const tr = document.createElement('tr');
    tr.append(Object.assign(document.createElement('td'), { textContent: t.stage }), Object.assign(document.createElement('td'), { textContent: `${t.ms.toFixed(1)} ms` }));
    return tr;
  }));
}

/** The sample photos the site serves (its /images/ listing; t1.jpg where there is none). */
export async function showSamplePhotos(onPick: (url: string) => void): Promise<void> {
  let names = ['t1.jpg'];
  try {
    const res = await fetch('/images/index.json', { cache: 'no-store' });
    if (res.ok) {
      const listing = await res.json() as { images?: unknown };
      if (Array.isArray(listing.images)) names = listing.images.filter((n): n is string => typeof n === 'string');
    }
  } catch {
    // No listing: keep the default.
  }
  $('photos').replaceChildren(...names.map((name) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.title = `analyse ${name}`;
    button.dataset.photo = name;
    button.append(Object.assign(document.createElement('img'), { src: `/images/${encodeURIComponent(name)}`, alt: name }));
    button.addEventListener('click', () => onPick(`/images/${encodeURIComponent(name)}`));
    return button;
  }));
}

/** Downloads the last results as the CLI's JSON file. */
export function exportJson(results: ResultsFile | undefined): void {
  if (!results) return;
  const url = URL.createObjectURL(new Blob([JSON.stringify(results, null, 1)], { type: 'application/json' }));
  Object.assign(document.createElement('a'), { href: url, download: 'insightgpu-faces.json' }).click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
