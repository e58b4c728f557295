/**
 * A clip for chromium's fake camera (`--use-file-for-fake-video-capture`), made with Debian's ffmpeg from a still:
 * the picture cropped to 640×480 and slowly panned and zoomed, so faces move as in a webcam. Cached in the temp
 * folder by its parameters.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadlessSetupError } from './headless.js';

export interface FakeCameraClipOptions {
  readonly frames: number;
  readonly fps?: number;
}

/** Writes (once) and returns the path of a .y4m clip panning and zooming over `image`. Throws HeadlessSetupError without ffmpeg. */
export function fakeCameraClip(image: string, options: FakeCameraClipOptions): string {
  const fps = options.fps ?? 15;
  const dir = join(tmpdir(), 'insightgpu-fake-camera');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${image.replace(/[^A-Za-z0-9]+/g, '_')}-${options.frames}f-${fps}fps.y4m`);
  if (existsSync(out)) return out;
  const n = options.frames;
  // Zoom 1.0–1.2 and a horizontal pan, one period over the clip, so the loop chromium plays has no jump.
  const zoom = `1.1-0.1*cos(2*PI*on/${n})`;
  const filter = `scale=-2:480,crop=640:480,zoompan=z='${zoom}':x='(iw-iw/zoom)/2*(1+sin(2*PI*on/${n}))':y='(ih-ih/zoom)/2':d=${n}:s=640x480:fps=${fps}`;
  const partial = `${out}.partial.y4m`;
  const result = spawnSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', image, '-vf', filter, '-frames:v', String(n), '-pix_fmt', 'yuv420p', partial], { encoding: 'utf8' });
  if (result.error) throw new HeadlessSetupError(`ffmpeg is needed to make the fake camera's clip (apt-get install ffmpeg): ${result.error.message}`);
  if (result.status !== 0) throw new HeadlessSetupError(`ffmpeg failed making ${out}: ${result.stderr.trim()}`);
  renameSync(partial, out);
  return out;
}
