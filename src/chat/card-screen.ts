import { type ChatCard, renderCard, rowsOf } from './card-render.js'

/** Where the chat writes: process.stdout, or any writable in tests. */
export interface TermOut {
  write(chunk: string): unknown
  readonly isTTY?: boolean
  readonly columns?: number
}

export type CardShown = 'redrawn' | 'printed' | 'unchanged'

interface LiveBlock {
  readonly outTrackId: string
  readonly head: string
  readonly rows: number
}

function stamp(): string {
  return new Date().toTimeString().slice(0, 8)
}

/**
 * The chat's output, which knows whether a live card is the last thing on screen. All the chat's
 * output goes through `write`, so on a terminal a newer version of that card is redrawn in place
 * (cursor up over the rows it took, clear, draw); once anything came after it, or when the output
 * is not a terminal, each update is printed anew under "(card updated)".
 */
export class CardScreen {
  /** The card block at the bottom of the screen, if the last thing printed was one. */
  private live: LiveBlock | undefined
  /** The version of each card printed last. */
  private readonly shown = new Map<string, number>()
  /** The prompt (and what is typed after it) is on the row below the output. */
  private atPrompt = false

  constructor(
    private readonly out: TermOut,
    private readonly o: { color: boolean; json?: boolean },
  ) {}

  /** Any output but a card: what was above is no longer the last thing on screen. */
  write(text: string): void {
    this.leavePrompt()
    this.out.write(text)
    this.live = undefined
  }

  /** The prompt was drawn below the output. */
  prompted(): void {
    this.atPrompt = true
  }

  /** The user pressed Enter: their line is on screen, below whatever was there. */
  lineEntered(): void {
    this.atPrompt = false
    this.live = undefined
  }

  /** Whether this card, or this version of it, has not been printed yet. */
  isNew(card: ChatCard): boolean {
    return (this.shown.get(card.outTrackId) ?? -1) < card.version
  }

  /** Whether some version of this card has been printed. */
  knows(outTrackId: string): boolean {
    return this.shown.has(outTrackId)
  }

  /** Prints a card as a new block and remembers it as the one to redraw. */
  show(card: ChatCard, opts: { head?: string; foot?: string } = {}): void {
    this.leavePrompt()
    this.shown.set(card.outTrackId, card.version)
    if (this.o.json) {
      this.out.write(`${JSON.stringify(card, null, 2)}\n`)
      this.live = undefined
      return
    }
    const head = opts.head ?? ''
    const block = this.block(card, head, opts.foot ?? '(card)')
    this.out.write(block)
    this.live = { outTrackId: card.outTrackId, head, rows: rowsOf(block, this.out.columns) }
  }

  /**
   * A newer version of a card: redrawn in place when it is the last block on a terminal, otherwise
   * printed anew. Versions already printed change nothing.
   */
  update(card: ChatCard): CardShown {
    if (!this.isNew(card)) return 'unchanged'
    const live = this.live
    const foot = `(live card, updated ${stamp()})`
    if (!this.o.json && this.out.isTTY && live?.outTrackId === card.outTrackId) {
      this.shown.set(card.outTrackId, card.version)
      const block = this.block(card, live.head, foot)
      // From the row below the block (the prompt's) to its first row, then clear to the end.
      this.out.write(`\r\x1b[${live.rows}A\x1b[J${block}`)
      this.live = { ...live, rows: rowsOf(block, this.out.columns) }
      this.atPrompt = false
      return 'redrawn'
    }
    this.show(card, { head: this.o.color ? '\x1b[2m(card updated)\x1b[22m' : '(card updated)', foot })
    return 'printed'
  }

  private block(card: ChatCard, head: string, foot: string): string {
    const text = renderCard(card, this.o)
    const f = this.o.color ? `\x1b[2m${foot}\x1b[22m` : foot
    return `${head ? `${head}\n` : ''}${text}\n${f}\n`
  }

  /** Output that comes while the prompt waits starts on a new row. */
  private leavePrompt(): void {
    if (!this.atPrompt) return
    this.atPrompt = false
    this.out.write('\n')
  }
}
