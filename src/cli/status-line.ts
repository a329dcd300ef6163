/**
 * One line at the bottom of a terminal that log lines scroll above (the sync progress bar
 * of `paw-node start`). Log lines go through `write`: the status line is erased, the log
 * line written, and the status line drawn again under it. On anything but a terminal the
 * status line is never drawn (the log's own "sync progress" lines say the same), so
 * redirected output and CI logs stay plain lines.
 */

/** What a status line needs of its stream (process.stderr is one). */
export interface StatusStream {
  write(text: string): unknown
  readonly isTTY?: boolean
  readonly columns?: number
}

/** Erase the current line and return to its start (ANSI EL2 + CR). */
const ERASE_LINE = '\x1b[2K\r'

export class StatusLine {
  readonly #stream: StatusStream
  #text = ''

  constructor(stream: StatusStream) {
    this.#stream = stream
  }

  /** Whether the line is drawn at all (the stream is a terminal). */
  get enabled(): boolean {
    return this.#stream.isTTY === true
  }

  /** Terminal width in columns (80 if the stream does not say, or says 0 as a fresh pty does). */
  get columns(): number {
    const columns = this.#stream.columns ?? 0
    return columns > 0 ? columns : 80
  }

  /** A whole log line, written above the status line. */
  write(line: string): void {
    if (this.#text === '') {
      this.#stream.write(`${line}\n`)
      return
    }
    this.#stream.write(`${ERASE_LINE}${line}\n${this.#text}`)
  }

  /** Shows `text` (cut to the terminal width) as the status line; '' removes it. */
  set(text: string): void {
    if (!this.enabled) return
    const cut = text.length >= this.columns ? text.slice(0, this.columns - 1) : text
    if (cut === this.#text) return
    this.#stream.write(`${ERASE_LINE}${cut}`)
    this.#text = cut
  }

  /** Removes the status line. */
  clear(): void {
    if (this.#text === '') return
    this.#stream.write(ERASE_LINE)
    this.#text = ''
  }
}
