/**
 * The demo's Identify mode: enrol faces under names into a FaceIndex, then identify the faces of any photo or
 * webcam frame, each labelled with its best name and score. The index is saved to IndexedDB after every change
 * (as the IGFX bytes of FaceIndex.toBytes), so the enrolled names survive a reload.
 */
import { FaceIndex, FaceIndexError, IndexedDbIndexStore, type Face } from '../../src/pipeline/index.js';
import { decodeIndex } from '../../src/pipeline/identity/index-file.js';
import type { GalleryFace } from './gallery.js';
import { drawIdentityLabels, identityText, type FaceLabel } from './identify-overlay.js';
import { drawImageWithFaces } from './overlay.js';
import { errorText } from './page-dom.js';

/** The name the demo's index is stored under in IndexedDB. */
export const DEMO_INDEX_NAME = 'demo';
/** Cosine similarity a match needs by default (the CLI's `index search --threshold`). */
export const DEFAULT_IDENTIFY_THRESHOLD = 0.3;

export interface IdentifyReport {
  state: 'idle' | 'restoring' | 'ready' | 'saving' | 'failed';
  error?: string;
  /** Whether the index is kept in IndexedDB (false: this browser gives the page none). */
  persisted?: boolean;
  /** What the page found stored when it started (null: nothing stored). */
  restored?: { identities: number; entries: number; dim: number } | null;
  /** The enrolled identities, by name, with how many embeddings each holds. */
  enrolled: { id: string; embeddings: number }[];
  /** The last record written to IndexedDB. */
  stored?: { identities: number; entries: number; savedAt: number };
  /** The last identified photo's faces, in detection order. */
  matches?: { image: string; faces: { bbox: number[]; id: string | null; score: number | null; best: { id: string; score: number } | null }[] };
}

/** A photo on the page's canvas and its analysed faces. */
export interface IdentifyPhoto {
  readonly image: ImageBitmap;
  readonly faces: readonly Face[];
  readonly name: string;
}

/** The face chosen for "Enrol the selected face": one of the photo's, or one under "Faces". */
interface Candidate {
  readonly embedding: Float32Array | undefined;
  readonly label: string;
  readonly photoFace?: number;
}

const el = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page element #${id} is missing`);
  return e as T;
};


export class IdentifyMode {
  private index = new FaceIndex();
  private store: IndexedDbIndexStore | undefined;
  private ready: Promise<void> = Promise.resolve();
  private photo: IdentifyPhoto | undefined;
  private candidate: Candidate | undefined;
  private active = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly report: (patch: Partial<IdentifyReport>) => void,
    private readonly showMessage: (text: string, kind: 'error' | 'warning') => void,
  ) {
    const run = (what: string, f: () => Promise<void>) => () => void f().catch((e: unknown) => this.failed(what, e));
    el('identify-enrol').addEventListener('click', run('enrolling failed', () => this.enrolCandidate()));
    el('identify-enrol-all').addEventListener('click', run('enrolling failed', () => this.enrolAll()));
    el('identify-clear').addEventListener('click', run('forgetting failed', () => this.forgetAll()));
    el('identify-threshold').addEventListener('change', () => this.redraw());
  }

  /** Loads the stored index, if any; a corrupted record is reported on the page and the index starts empty. */
  restore(): Promise<void> {
    this.report({ state: 'restoring' });
    this.ready = (async () => {
      try {
        this.store = await IndexedDbIndexStore.open();
      } catch (e) {
        this.showMessage(`Identify: ${errorText(e)}. Enrolled faces last only until the page is closed.`, 'warning');
        this.report({ state: 'ready', persisted: false, restored: null });
        this.refresh();
        return;
      }
      let restored: IdentifyReport['restored'] = null;
      try {
        if (await this.store.has(DEMO_INDEX_NAME)) {
          this.index = await this.store.load(DEMO_INDEX_NAME);
          restored = { identities: this.index.size, entries: this.index.entries, dim: this.index.dim! };
        }
      } catch (e) {
        // Kept in the database untouched until the next enrolment overwrites it, so nothing is lost silently.
        this.showMessage(`Identify: the stored face index could not be read, so the page starts with nobody enrolled: ${errorText(e)}`, 'error');
        this.report({ error: errorText(e) });
      }
      this.report({ state: 'ready', persisted: true, restored });
      this.refresh();
    })();
    return this.ready;
  }

  /** The photo just analysed; identified and labelled when the mode is active. */
  showPhoto(photo: IdentifyPhoto): void {
    this.photo = photo;
    if (this.candidate?.photoFace !== undefined) this.candidate = undefined;
    // Not refresh(): webcam frames come one after another, and re-rendering the enrolled list would eat clicks.
    this.updateControls();
    this.redraw();
  }

  /** Entering the mode labels the current photo; leaving it shows the photo with the plain overlay again. */
  setActive(active: boolean): void {
    this.active = active;
    if (active) this.redraw();
    else if (this.photo) drawImageWithFaces(this.canvas, this.photo.image, this.photo.faces);
  }

  /** A click on the photo picks the face under it for enrolment. */
  pickAt(ev: MouseEvent): void {
    if (!this.active || !this.photo) return;
    const r = this.canvas.getBoundingClientRect();
    const x = (ev.clientX - r.left) * this.canvas.width / r.width;
    const y = (ev.clientY - r.top) * this.canvas.height / r.height;
    const hit = this.photo.faces.findIndex((f) => { const [x1, y1, x2, y2] = f.bbox as unknown as number[]; return x >= x1! && x <= x2! && y >= y1! && y <= y2!; });
    if (hit < 0) return;
    this.candidate = { embedding: this.photo.faces[hit]!.embedding, label: `face #${hit + 1} of ${this.photo.name}`, photoFace: hit };
    this.refresh();
    el<HTMLInputElement>('identify-name').focus();
  }

  /** A face under "Faces" picked for enrolment. */
  pickGalleryFace(face: GalleryFace): void {
    this.candidate = { embedding: face.embedding, label: `gallery face ${face.id}` };
    this.refresh();
  }

  private async enrolCandidate(): Promise<void> {
    await this.ready;
    const name = el<HTMLInputElement>('identify-name').value.trim();
    if (!this.candidate) throw new Error('pick a face first: click one on the photo or under “Faces”');
    if (!name) throw new Error('give the face a name');
    this.add(name, this.candidate.embedding, this.candidate.label);
    this.candidate = undefined;
    el<HTMLInputElement>('identify-name').value = '';
    await this.persist(`enrolled ${name}`);
  }

  /** Every face of the photo, as NAME#0, NAME#1… left to right (the CLI's `index add --all-faces`). */
  private async enrolAll(): Promise<void> {
    await this.ready;
    const photo = this.photo;
    if (!photo || photo.faces.length === 0) throw new Error('open a photo with faces first');
    const prefix = el<HTMLInputElement>('identify-name').value.trim() || photo.name.replace(/\.[^.]*$/, '');
    const order = photo.faces.map((f, i) => [f.bbox[0]!, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
    order.forEach((i, k) => this.add(`${prefix}#${k}`, photo.faces[i]!.embedding, `face #${i + 1} of ${photo.name}`));
    await this.persist(`enrolled ${order.length} face(s) of ${photo.name} as ${prefix}#0…${prefix}#${order.length - 1}`);
  }

  private add(id: string, embedding: Float32Array | undefined, what: string): void {
    if (!embedding) throw new Error(`${what} has no embedding: the loaded models have no recognizer`);
    try {
      this.index.add(id, embedding);
    } catch (e) {
      if (e instanceof FaceIndexError && this.index.dim !== undefined && embedding.length !== this.index.dim) {
        throw new Error(`the enrolled faces have ${this.index.dim}-d embeddings but this recognizer gives ${embedding.length}-d: `
          + '“Forget everyone” to enrol with this recognizer, or load the models they were enrolled with', { cause: e });
      }
      throw e;
    }
  }

  private async remove(id: string): Promise<void> {
    await this.ready;
    this.index.remove(id);
    if (this.index.size === 0) this.index = new FaceIndex();
    await this.persist(`forgot ${id}`);
  }

  private async forgetAll(): Promise<void> {
    await this.ready;
    this.index = new FaceIndex();
    await this.persist('forgot everyone');
  }

  /** Writes the index (or deletes the record when it is empty), then shows the new state. */
  private async persist(done: string): Promise<void> {
    this.refresh();
    if (!this.store) {
      this.status(`${done} (kept in this page only)`);
      return;
    }
    this.report({ state: 'saving' });
    if (this.index.size === 0) {
      await this.store.delete(DEMO_INDEX_NAME);
      this.report({ state: 'ready', stored: { identities: 0, entries: 0, savedAt: Date.now() }, error: undefined });
    } else {
      const info = await this.store.save(DEMO_INDEX_NAME, this.index);
      this.report({ state: 'ready', stored: { identities: info.identities, entries: info.entries, savedAt: info.savedAt }, error: undefined });
    }
    this.status(`${done}; saved in this browser (IndexedDB)`);
  }

  private threshold(): number {
    const v = Number(el<HTMLInputElement>('identify-threshold').value);
    return Number.isFinite(v) ? v : DEFAULT_IDENTIFY_THRESHOLD;
  }

  /** Each face's best identity (k = 1) and whether it clears the threshold. */
  private identify(photo: IdentifyPhoto): NonNullable<IdentifyReport['matches']> {
    const threshold = this.threshold();
    const faces = photo.faces.map((f) => {
      const bbox = [...f.bbox];
      if (!f.embedding || this.index.size === 0) return { bbox, id: null, score: null, best: null };
      const hit = this.index.search(f.embedding, { k: 1 })[0];
      const best = hit ? { id: hit.id, score: hit.score } : null;
      return best && best.score >= threshold ? { bbox, id: best.id, score: best.score, best } : { bbox, id: null, score: null, best };
    });
    return { image: photo.name, faces };
  }

  private refresh(): void {
    const enrolled = enrolledIdentities(this.index);
    this.report({ enrolled });
    this.renderEnrolled(enrolled);
    this.updateControls();
    this.redraw();
  }

  private updateControls(): void {
    el<HTMLButtonElement>('identify-enrol').disabled = !this.candidate;
    el<HTMLButtonElement>('identify-enrol-all').disabled = !this.photo || this.photo.faces.length === 0;
    el<HTMLButtonElement>('identify-clear').disabled = this.index.size === 0;
    el('identify-picked').textContent = this.candidate ? `selected: ${this.candidate.label}` : 'no face selected';
  }

  /** Labels the current photo's faces (Identify mode), or shows it plain (the other modes). */
  private redraw(): void {
    const photo = this.photo;
    if (!photo || !this.active) return;
    let labels: FaceLabel[] = [];
    try {
      const matches = this.identify(photo);
      this.report({ matches });
      labels = matches.faces;
      this.renderMatches(matches);
    } catch (e) {
      this.failed('identifying failed', e);
    }
    drawImageWithFaces(this.canvas, photo.image, photo.faces);
    drawIdentityLabels(this.canvas, photo.faces, labels, this.candidate?.photoFace);
  }

  private renderEnrolled(enrolled: IdentifyReport['enrolled']): void {
    const list = el('identify-enrolled');
    list.replaceChildren(...enrolled.map(({ id, embeddings }) => {
      const li = document.createElement('li');
      li.dataset.identity = id;
      const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: '×', title: `forget ${id}` });
      remove.addEventListener('click', () => void this.remove(id).catch((e: unknown) => this.failed('forgetting failed', e)));
      li.append(Object.assign(document.createElement('span'), { textContent: `${id}${embeddings > 1 ? ` (${embeddings} faces)` : ''} ` }), remove);
      return li;
    }));
    if (enrolled.length === 0) list.append(Object.assign(document.createElement('li'), { className: 'muted', textContent: 'nobody enrolled yet' }));
  }

  private renderMatches(matches: NonNullable<IdentifyReport['matches']>): void {
    el<HTMLTableElement>('identify-results').tBodies[0]!.replaceChildren(...matches.faces.map((m, i) => {
      const tr = document.createElement('tr');
      const best = m.best ? `${m.best.id} ${m.best.score.toFixed(3)}` : '—';
      for (const [text, cls] of [[`#${i + 1}`, 'text'], [identityText(m), 'text'], [best, 'text']] as const) {
        tr.append(Object.assign(document.createElement('td'), { textContent: text, className: cls }));
      }
      return tr;
    }));
  }

  private status(text: string): void {
    el('identify-status').textContent = text;
  }

  private failed(where: string, e: unknown): void {
    const text = `${where}: ${errorText(e)}`;
    this.status(text);
    this.showMessage(text, 'error');
    this.report({ state: 'ready', error: text });
  }
}

/** The index's identities and their embedding counts, read from its own file bytes (FaceIndex lists no ids). */
export function enrolledIdentities(index: FaceIndex): { id: string; embeddings: number }[] {
  if (index.dim === undefined || index.size === 0) return [];
  const s = decodeIndex(index.toBytes());
  const counts = new Array<number>(s.ids.length).fill(0);
  for (const o of s.owner) counts[o]!++;
  return s.ids.map((id, i) => ({ id, embeddings: counts[i]! }));
}
