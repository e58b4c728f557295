/**
 * InsightFace's root folder, as its Python package and `insightgpu fetch-models` choose it: an explicit root, else
 * $INSIGHTFACE_HOME (an empty value counts as unset), else ~/.insightface; a leading `~` is the home folder, since a
 * shell leaves it in a quoted value. Pure string work (no Node module), so the fetcher, the pack lookup and the CLI
 * share one rule; the caller resolves the result against its working folder.
 */
export function insightFaceRootPath(root: string | undefined, envHome: string | undefined, home: string): string {
  const chosen = root ?? (envHome !== undefined && envHome !== '' ? envHome : '~/.insightface');
  return chosen === '~' || chosen.startsWith('~/') ? `${home}${chosen.slice(1)}` : chosen;
}
