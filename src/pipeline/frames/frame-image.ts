import { browserImageSize, decodeBrowserImage, type BrowserImageSource } from '../decode-browser.js';
import { ImageError } from '../errors.js';
import { checkImageSize, type BgrImage } from '../image.js';

/**
 * The browser images that go to the GPU without a CPU round trip: everything `copyExternalImageToTexture` takes
 * (ImageData is already bytes and takes the bytes path).
 */
export type ExternalFrameSource = Exclude<BrowserImageSource, ImageData>;

/**
 * A browser image as the pipeline's BgrImage, read lazily. The WebGPU pre-processing uploads `source` with
 * `copyExternalImageToTexture` and never touches `data`; a CPU stage that reads `data` draws the source once on an
 * OffscreenCanvas (`decodeBrowserImage`) and keeps the bytes, which every later stage (GPU ones included) then uses.
 * A video element is captured as a VideoFrame when the FrameImage is made, so every stage sees the same picture.
 */
export class FrameImage implements BgrImage {
  private bytes: Uint8Array | undefined;
  private released = false;

  private constructor(
    /** What the GPU uploads; undefined once the pixels are on the CPU and an owned capture has been closed. */
    private frame: ExternalFrameSource | undefined,
    readonly width: number,
    readonly height: number,
    /** True when the frame is a capture made here (of a video element), which this FrameImage closes. */
    private readonly owned: boolean,
  ) {}

  /**
   * Wraps a browser image. Throws ImageError for an image with no pixels yet (a video before its first frame, an
   * unloaded <img>, a closed VideoFrame) or beyond MAX_IMAGE_PIXELS.
   */
  static from(source: ExternalFrameSource): FrameImage {
    if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement) {
      // HAVE_CURRENT_DATA: a frame can be drawn.
      if (source.readyState < 2) throw new ImageError('the video element has no current frame yet (readyState < HAVE_CURRENT_DATA)');
      if (typeof VideoFrame !== 'undefined') {
        const capture = new VideoFrame(source);
        return FrameImage.checked(capture, true);
      }
    }
    return FrameImage.checked(source, false);
  }

  private static checked(source: ExternalFrameSource, owned: boolean): FrameImage {
    const { width, height } = browserImageSize(source);
    if (!width || !height) {
      if (owned) (source as VideoFrame).close();
      throw new ImageError(`image has size ${width}×${height} (not loaded yet, or a closed VideoFrame?)`);
    }
    checkImageSize(width, height);
    return new FrameImage(source, width, height, owned);
  }

  /** The source to upload while no CPU copy exists; undefined once `data` has been read (upload the bytes then). */
  get external(): ExternalFrameSource | undefined {
    return this.bytes === undefined ? this.frame : undefined;
  }

  /** The BGR bytes, read through a canvas on first use. */
  get data(): Uint8Array {
    if (this.bytes === undefined) {
      if (this.released || !this.frame) throw new ImageError('the frame was released before its pixels were read');
      this.bytes = decodeBrowserImage(this.frame).data;
      this.closeCapture();
    }
    return this.bytes;
  }

  /** Closes the capture made of a video element (a caller's own VideoFrame or bitmap is never closed here). */
  release(): void {
    this.closeCapture();
    this.released = true;
  }

  private closeCapture(): void {
    if (this.owned && this.frame) (this.frame as VideoFrame).close();
    if (this.owned) this.frame = undefined;
  }
}
