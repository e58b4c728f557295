/**
 * Opening the webcam for the demo pages. getUserMedia's DOMExceptions name the failure ("NotAllowedError") but not
 * what a user can do about it, so each is turned into a CameraError whose message says that.
 */

/** The webcam could not be opened; `reason` is the browser's error name (or 'unsupported' where there is no API). */
export class CameraError extends Error {
  override readonly name = 'CameraError';
  constructor(readonly reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

// What each getUserMedia failure means for the user, by DOMException name.
const ADVICE: Readonly<Record<string, string>> = {
  NotAllowedError: 'camera permission was denied: allow the camera for this site (the icon in the address bar) and try again',
  SecurityError: 'the page may not use the camera here (it needs https:// or http://localhost)',
  NotFoundError: 'no camera was found: plug one in, or open a photo instead',
  OverconstrainedError: 'no camera was found that gives 640×480 video',
  NotReadableError: 'the camera is in use by another application or could not be started: close that application and try again',
  AbortError: 'the camera could not be started: try again',
};

/** The webcam's 640×480 video stream; a CameraError saying what to do when the browser gives none. */
export async function openCamera(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new CameraError('unsupported', 'this browser gives the page no camera access (navigator.mediaDevices is missing; the page needs https:// or http://localhost)');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  } catch (e) {
    const reason = e instanceof Error ? e.name : 'unknown';
    const detail = e instanceof Error ? e.message : String(e);
    throw new CameraError(reason, `${ADVICE[reason] ?? 'the camera could not be opened'} (${reason}: ${detail})`, { cause: e });
  }
}
