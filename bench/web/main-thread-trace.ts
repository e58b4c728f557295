/**
 * A chromium performance trace of one page (CDP Tracing), reduced to the renderer main thread's long tasks: for each
 * task over 50 ms, its wall time, the time the thread actually ran (thread ticks: a task can be long because the
 * thread was descheduled on a loaded machine, not because it had work) and the longest events inside it. For
 * `npm run bench:browser -- --video --trace`.
 */
import type { CDPSession, Page } from 'playwright-core';

/** One long main-thread task of the trace. */
export interface TracedTask {
  /** Wall time, ms. */
  readonly wallMs: number;
  /** Time the main thread ran during it, ms (undefined when the trace has no thread ticks). */
  readonly threadMs: number | undefined;
  /** The longest events inside it, as 'name ms'. */
  readonly inside: readonly string[];
}

interface TraceEvent {
  readonly name: string;
  readonly ph: string;
  readonly pid: number;
  readonly tid: number;
  readonly ts: number;
  readonly dur?: number;
  readonly tdur?: number;
  readonly args?: { readonly name?: string; readonly data?: { readonly type?: string; readonly functionName?: string; readonly url?: string } };
}

const CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink', 'gpu'].join(',');
const LONG_US = 50_000;

/** Starts tracing the page; the returned function stops and gives the main thread's long tasks. */
export async function traceMainThread(page: Page): Promise<() => Promise<TracedTask[]>> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (message) => { events.push(...(message.value as unknown as TraceEvent[])); });
  await cdp.send('Tracing.start', { categories: CATEGORIES, transferMode: 'ReportEvents' });
  return async () => {
    const done = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
    await cdp.send('Tracing.end');
    await done;
    await (cdp as CDPSession).detach().catch(() => undefined);
    return longTasks(events);
  };
}

function longTasks(events: readonly TraceEvent[]): TracedTask[] {
  const mains = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const onMain = events.filter((e) => e.ph === 'X' && e.dur !== undefined && mains.has(`${e.pid}:${e.tid}`));
  // Both names wrap the same task (the scheduler's event around the toplevel one): the outer one is counted.
  const taskName = onMain.some((e) => e.name === 'ThreadControllerImpl::RunTask') ? 'ThreadControllerImpl::RunTask' : 'RunTask';
  const tasks = onMain.filter((e) => e.name === taskName && e.dur! > LONG_US);
  return tasks.map((task) => {
    const end = task.ts + task.dur!;
    const inside = onMain
      .filter((e) => e !== task && e.pid === task.pid && e.tid === task.tid && e.ts >= task.ts && e.ts + e.dur! <= end && !e.name.includes('RunTask'))
      .sort((a, b) => b.dur! - a.dur!)
      .slice(0, 4)
      .map((e) => `${label(e)} ${(e.dur! / 1000).toFixed(1)}`);
    return { wallMs: task.dur! / 1000, threadMs: task.tdur === undefined ? undefined : task.tdur / 1000, inside };
  });
}

function label(e: TraceEvent): string {
  const d = e.args?.data;
  const what = d?.type ?? d?.functionName ?? (d?.url ? d.url.split('/').pop() : undefined);
  return what ? `${e.name}(${what})` : e.name;
}
