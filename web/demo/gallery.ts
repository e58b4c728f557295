/** The face gallery: a crop of each face kept so far and the pairwise cosine similarity of their embeddings. */
import { computeSim, type Face } from '../../src/pipeline/index.js';
import { faceLabel } from './overlay.js';

export interface GalleryFace {
  readonly id: string;
  readonly crop: HTMLCanvasElement;
  readonly embedding: Float32Array | undefined;
  readonly label: string;
}

const CROP_SIZE = 96;

export function cropFace(image: CanvasImageSource, face: Face, id: string): GalleryFace {
  const [x1, y1, x2, y2] = face.bbox as unknown as [number, number, number, number];
  // A square around the box with some margin, like the aligned crops the models see.
  const side = Math.max(x2 - x1, y2 - y1) * 1.2;
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  const crop = document.createElement('canvas');
  crop.width = CROP_SIZE;
  crop.height = CROP_SIZE;
  crop.getContext('2d')?.drawImage(image, cx - side / 2, cy - side / 2, side, side, 0, 0, CROP_SIZE, CROP_SIZE);
  return { id, crop, embedding: face.embedding, label: faceLabel(face) };
}

/** Matrix[i][j] = cosine similarity of faces i and j, null where either has no embedding. */
export function similarityMatrix(faces: readonly GalleryFace[]): (number | null)[][] {
  return faces.map((a) => faces.map((b) => (a.embedding && b.embedding ? computeSim(a.embedding, b.embedding) : null)));
}

/** Clicking a face picks it (Swap mode's source); the picked one is marked. */
export interface GalleryPick {
  readonly onPick: (face: GalleryFace) => void;
  /** The picked face's crop: kept faces are re-labelled but keep their crop, so the crop identifies the face. */
  readonly picked: HTMLCanvasElement | undefined;
}

export function renderGallery(box: HTMLElement, table: HTMLTableElement, faces: readonly GalleryFace[], pick?: GalleryPick): void {
  box.replaceChildren(...faces.map((f) => {
    const fig = document.createElement('figure');
    const caption = document.createElement('figcaption');
    caption.textContent = `${f.id}${f.label ? ` ${f.label}` : ''}`;
    fig.append(f.crop, caption);
    fig.dataset.faceId = f.id;
    f.crop.setAttribute('role', 'img');
    f.crop.setAttribute('aria-label', `face ${f.id}`);
    if (pick) {
      fig.classList.add('pickable');
      fig.title = 'pick this face (Swap faces: the source; Identify: the face to enrol)';
      fig.classList.toggle('picked', pick.picked === f.crop);
      fig.addEventListener('click', () => pick.onPick(f));
      // Reachable by keyboard too: Tab to a face, Enter or Space picks it.
      fig.tabIndex = 0;
      fig.setAttribute('role', 'button');
      fig.setAttribute('aria-pressed', String(pick.picked === f.crop));
      fig.addEventListener('keydown', (ev) => {
        if (ev.key !== 'Enter' && ev.key !== ' ') return;
        ev.preventDefault();
        pick.onPick(f);
      });
    }
    return fig;
  }));
  const matrix = similarityMatrix(faces);
  const head = document.createElement('tr');
  head.append(document.createElement('th'), ...faces.map((f) => Object.assign(document.createElement('th'), { textContent: f.id })));
  const rows = matrix.map((row, i) => {
    const tr = document.createElement('tr');
    tr.append(Object.assign(document.createElement('th'), { textContent: faces[i]!.id }));
    for (const v of row) {
      const td = document.createElement('td');
      td.textContent = v === null ? '—' : v.toFixed(3);
      // Shade by similarity so likely matches stand out; InsightFace treats cosine > ~0.4 as the same person.
      if (v !== null) td.style.background = `rgba(31,119,180,${Math.max(0, Math.min(1, v)) * 0.6})`;
      tr.append(td);
    }
    return tr;
  });
  table.replaceChildren(head, ...rows);
}
