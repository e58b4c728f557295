/**
 * What an option's value may be, checked before anything else reads it: a plain-JS caller gets no compile error for
 * a misspelt name or a value of the wrong type, so every public options object is checked against one of these
 * shapes. 'object' is any non-null, non-array object (class instances included); 'any' leaves the value to the
 * option's own check.
 */
export type OptionKind = 'number' | 'string' | 'boolean' | 'function' | 'object' | 'array' | 'any';

/** Each option's kind (one, or several a value may be any of), keyed exactly as the options interface is. */
export type OptionShape<T> = { readonly [K in keyof T]-?: OptionKind | readonly OptionKind[] };

/** A value as an error message shows it: strings quoted (so "0.5" reads as text), numbers and the rest as JSON. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || value === null || value === undefined) return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

function isKind(value: unknown, kind: OptionKind): boolean {
  switch (kind) {
    case 'any': return true;
    case 'array': return Array.isArray(value);
    case 'object': return value !== null && typeof value === 'object' && !Array.isArray(value);
    default: return typeof value === kind;
  }
}

const KIND_WORDS: Record<OptionKind, string> = {
  number: 'a number', string: 'a string', boolean: 'true or false', function: 'a function', object: 'an object', array: 'an array', any: 'a value',
};

/** The known name a misspelt one most likely meant: same letters ignoring case, or at most two edits away. */
function nearestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length]!;
}

/**
 * Refuses an options object holding a name `shape` does not list, or a value not of its option's kind, through
 * `fail(option, why)` (each caller throws its own typed error). An option set to `undefined` counts as not given,
 * whatever its name, as the defaults then apply anyway. `path` prefixes the names reported ('sessionOptions.').
 */
export function checkOptionShape<T extends object>(
  options: T,
  shape: OptionShape<T>,
  call: string,
  fail: (option: string, why: string) => Error,
  path = '',
): void {
  const known = Object.keys(shape);
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const kind = (shape as Record<string, OptionKind | readonly OptionKind[] | undefined>)[name];
    if (kind === undefined || !Object.hasOwn(shape, name)) {
      const near = nearestName(name, known);
      throw fail(`${path}${name}`, `${call} has no such option${near === undefined ? '' : ` (did you mean ${path}${near}?)`}; it takes ${known.join(', ')}`);
    }
    const kinds: readonly OptionKind[] = typeof kind === 'string' ? [kind] : kind;
    if (!kinds.some((k) => isKind(value, k))) {
      throw fail(`${path}${name}`, `${describeValue(value)} is not ${kinds.map((k) => KIND_WORDS[k]).join(' or ')}`);
    }
  }
}
