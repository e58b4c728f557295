import { PipelineOptionError } from './errors.js';

/**
 * InsightFace's root folder, as its Python package and `insightgpu fetch-models` choose it: an explicit root (not
 * empty: a PipelineOptionError), else $INSIGHTFACE_HOME (an empty value counts as unset), else ~/.insightface.
 * A leading `~` is expanded as a shell and Python's os.path.expanduser do, since a shell leaves it alone in a
 * quoted value or after `--root=`: `~` and `~/…` are `home`; `~user` and `~user/…` are that user's home folder in
 * /etc/passwd, read through `passwd` (the file's text, or undefined where there is none: Windows). A `~user` that
 * cannot be expanded is a PipelineOptionError rather than a folder literally named `~user` made in the working
 * folder. Pure string work (no Node module), so the fetcher, the pack lookup and the CLI share one rule; the
 * caller resolves the result against its working folder.
 */
export function insightFaceRootPath(
  root: string | undefined,
  envHome: string | undefined,
  home: string,
  passwd: () => string | undefined = () => undefined,
): string {
  // An empty root is nearly always an unset variable (`--root "$DIR"`); taken as is, it would be the working folder.
  if (root === '') throw new PipelineOptionError('root', "is empty; give a folder ('.' for the working folder)");
  const chosen = root ?? (envHome !== undefined && envHome !== '' ? envHome : '~/.insightface');
  const tilde = /^~([^/]*)(\/.*)?$/.exec(chosen);
  if (tilde === null) return chosen;
  const [, user = '', rest = ''] = tilde;
  if (user === '') return `${home}${rest}`;
  const userHome = passwdHome(passwd(), user);
  if (userHome === undefined) {
    const where = root !== undefined ? 'root' : '$INSIGHTFACE_HOME';
    throw new PipelineOptionError(where, `'${chosen}': no user '${user}' in /etc/passwd to expand ~${user} to; give the folder's full path`);
  }
  return `${userHome}${rest}`;
}

/**
 * The error for a resolved root (`rootPath`, from insightFaceRootPath of `root` and `envHome`) that cannot hold
 * packs, or undefined when it can. `rootIs` and `modelsIs` say what the caller's stat found at the root and at its
 * `models` folder where that is no folder and not absent ('is a file, not a folder', 'lies under a file'): a lookup there
 * would only say that no pack is installed, and a download fail on a raw ENOTDIR. The PipelineOptionError names
 * where the root came from (`root`, `$INSIGHTFACE_HOME`, or the default ~/.insightface under `root`) and the path.
 */
export function rootFolderError(
  root: string | undefined, envHome: string | undefined, rootPath: string, rootIs: string | undefined, modelsIs: string | undefined,
): PipelineOptionError | undefined {
  if (rootIs === undefined && modelsIs === undefined) return undefined;
  const fromEnv = root === undefined && envHome !== undefined && envHome !== '';
  const given = root ?? (fromEnv ? envHome : '~/.insightface');
  const named = `${root === undefined && !fromEnv ? 'not given and $INSIGHTFACE_HOME is unset, so the root is ' : ''}'${given}'${given === rootPath ? '' : ` (${rootPath})`}`;
  const what = rootIs ?? `holds a 'models' that ${modelsIs}`;
  return new PipelineOptionError(fromEnv ? '$INSIGHTFACE_HOME' : 'root', `${named} ${what} (packs live in <root>/models/<pack>/)`);
}

/** The home folder of `user` in the text of /etc/passwd (`name:password:uid:gid:gecos:home:shell` lines). */
function passwdHome(text: string | undefined, user: string): string | undefined {
  for (const line of text?.split('\n') ?? []) {
    const fields = line.split(':');
    if (fields.length >= 7 && fields[0] === user && fields[5] !== '') return fields[5];
  }
  return undefined;
}

/**
 * `error`, with a PipelineOptionError about insightFaceRootPath's `root` renamed to `name`: the name the caller
 * typed (`--root` on the command line, `download.root` in FaceAnalysis.create), not the fetcher's own option.
 * The renamed error keeps the original's cause, and its stack (the frames say where the root was refused; only
 * the first line, the message, changes).
 */
export function renameRootOption(error: unknown, name: string): unknown {
  if (!(error instanceof PipelineOptionError) || error.option !== 'root') return error;
  const renamed = new PipelineOptionError(name, error.why, Object.hasOwn(error, 'cause') ? { cause: error.cause } : undefined);
  const frames = error.stack?.split('\n').slice(1);
  if (frames !== undefined && frames.length > 0) renamed.stack = [`${renamed.name}: ${renamed.message}`, ...frames].join('\n');
  return renamed;
}
