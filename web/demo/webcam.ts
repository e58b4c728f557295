/** The demo page's webcam: started and stopped by one button, its frames analysed one at a time. */
import { openCamera } from './camera.js';

export class DemoWebcam {
  private live: { stream: MediaStream; running: boolean } | undefined;
  /** A one-off grab in progress: a second caller shares it (two would fight over the video element). */
  private grabbing: Promise<ImageBitmap> | undefined;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly button: HTMLButtonElement,
    /** Analyses one frame; the next is grabbed only when it is done, so frames never queue up. */
    private readonly analyseFrame: (frame: ImageBitmap) => Promise<void>,
    private readonly showRate: (text: string) => void,
  ) {}

  /** Starts the webcam, or stops it when it runs; resolves when the run ends (a failing frame stops the camera). */
  async toggle(): Promise<void> {
    if (this.live) {
      this.stop();
      return;
    }
    const stream = await openCamera();
    this.video.srcObject = stream;
    const state = { stream, running: true };
    this.live = state;
    this.button.textContent = 'Stop webcam';
    try {
      await this.video.play();
      let frames = 0;
      const t0 = performance.now();
      while (state.running) {
        await this.analyseFrame(await createImageBitmap(this.video));
        frames++;
        if (state.running) this.showRate(`webcam: ${(frames / ((performance.now() - t0) / 1000)).toFixed(1)} frames/s`);
        await new Promise((r) => requestAnimationFrame(r));
      }
    } catch (e) {
      if (this.live === state) this.stop();
      throw e;
    }
  }

  /** One frame: the live one if the webcam runs, else the camera is opened for that frame only. */
  grabFrame(): Promise<ImageBitmap> {
    if (this.live) return createImageBitmap(this.video);
    this.grabbing ??= this.grabOnce().finally(() => { this.grabbing = undefined; });
    return this.grabbing;
  }

  private async grabOnce(): Promise<ImageBitmap> {
    const stream = await openCamera();
    try {
      this.video.srcObject = stream;
      await this.video.play();
      return await createImageBitmap(this.video);
    } finally {
      for (const t of stream.getTracks()) t.stop();
      this.video.srcObject = null;
    }
  }

  private stop(): void {
    const live = this.live;
    if (!live) return;
    live.running = false;
    for (const t of live.stream.getTracks()) t.stop();
    this.live = undefined;
    this.button.textContent = 'Start webcam';
  }
}
