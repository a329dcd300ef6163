/** Polling for a condition another process brings about (a node's log, its admin API). */

/** Resolves once `check` holds; fails after `timeoutMs` naming `what` (a function: read late, e.g. a log). */
export async function until(
  what: string | (() => string),
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
