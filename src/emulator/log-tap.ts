/**
 * A pino destination for emulator mode (runtime.ts tees the bot's log into it): each JSON line
 * goes to the emulator's feed once one is connected; lines before that are dropped.
 */
export class LogTap {
  private sink: ((line: Record<string, unknown>) => void) | undefined

  connect(sink: (line: Record<string, unknown>) => void): void {
    this.sink = sink
  }

  write(chunk: string): void {
    if (!this.sink) return
    for (const text of chunk.split('\n')) {
      if (!text.startsWith('{')) continue
      try {
        this.sink(JSON.parse(text) as Record<string, unknown>)
      } catch {
        // Not a JSON line: nothing for the feed.
      }
    }
  }
}
