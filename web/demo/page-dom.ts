/** The demo pages' small DOM helpers. */

/** The page element with this id; a missing one is a page bug, so it throws. */
export const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
};

/** An error as the page shows it: its class name and message. */
export function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
