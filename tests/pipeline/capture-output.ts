/**
 * Runs a CLI command in-process with what it prints captured. Only text is captured: the test runner's child
 * process sends its own events to the parent over stdout as binary chunks, and swallowing those loses test results
 * (a test that then cannot fail), so binary writes go through untouched.
 */
type Write = typeof process.stdout.write;

export async function captureOutput<T>(run: () => Promise<T>): Promise<{ result: T; out: string }> {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const saved = streams.map((s) => s.write);
  streams.forEach((stream, k) => {
    const original = saved[k]!;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (typeof chunk === 'string') { chunks.push(chunk); return true; }
      return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as Write;
  });
  try {
    return { result: await run(), out: chunks.join('') };
  } finally {
    streams.forEach((stream, k) => { stream.write = saved[k]!; });
  }
}
