/** A progress display fed with each finished image. */
export interface BatchProgress {
  update(image: string, faces: number): void;
  stop(): void;
}

/**
 * A cli-progress bar on stderr: images done of all, images/s and faces/s over this run (images skipped by
 * --resume count as done but not in the rates), the ETA from the recent rate, and the last image's name.
 */
export async function createBatchProgress(total: number, alreadyDone: number): Promise<BatchProgress> {
  const { default: progress } = await import('cli-progress');
  const bar = new progress.SingleBar({
    format: 'analyze [{bar}] {value}/{total} | {ips} img/s | {fps} faces/s | ETA {eta_formatted} | {image}',
    stream: process.stderr,
    etaBuffer: 50,
  }, progress.Presets.shades_classic);
  const started = performance.now();
  let images = 0;
  let faces = 0;
  bar.start(total, alreadyDone, { ips: '0.0', fps: '0.0', image: '' });
  return {
    update: (image, count) => {
      images++;
      faces += count;
      const seconds = Math.max((performance.now() - started) / 1000, 1e-3);
      bar.update(alreadyDone + images, { ips: (images / seconds).toFixed(1), fps: (faces / seconds).toFixed(1), image });
    },
    stop: () => bar.stop(),
  };
}
