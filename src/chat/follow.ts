import type { CardScreen } from './card-screen.js'
import { type ChatClient, type ChatTarget, cardSpace } from './client.js'

export type Printer = (r: unknown, via: string, ms: number | undefined, who: ChatTarget['user']) => void

/** What the follow loops need to know of the chat right now. */
export type Current = () => { target: ChatTarget; answering: Promise<unknown> }

export interface Follower {
  stop(): void
}

/**
 * Runs `step` again and again until stopped (a long poll each time), pausing after a failure.
 * `step` gets the signal that `stop()` aborts.
 */
function loop(step: (signal: AbortSignal) => Promise<void>): Follower {
  let stopped = false
  const abort = new AbortController()
  void (async () => {
    while (!stopped) {
      try {
        await step(abort.signal)
      } catch {
        if (!stopped) await new Promise((r) => setTimeout(r, 2000))
      }
    }
  })()
  return {
    stop: () => {
      stopped = true
      abort.abort()
    },
  }
}

/**
 * Prints the bot's notices while the chat runs: long polls for what it posts to the current chat
 * on its own, after any answer in flight has been claimed by its question.
 */
export function watchNotices(
  client: ChatClient,
  current: Current,
  print: Printer,
  redraw: () => void,
): Follower {
  return loop(async (signal) => {
    const { target } = current()
    const found = await client.notices(target, 10_000, signal)
    // An answer arrives like a notice: let the question in flight claim it first.
    await current().answering.catch(() => undefined)
    const fresh = found.filter((n) => !client.isAnswer(n.id))
    if (signal.aborted || fresh.length === 0) return
    for (const n of fresh) print(n.body, `notice, ${n.via}`, undefined, target.user)
    redraw()
  })
}

/**
 * Follows the interactive cards of the current chat: a card the bot delivers on its own is printed,
 * a newer version of one on screen redrawn in place or printed anew (`CardScreen.update`). Starts
 * from the version when the chat started: older cards are not printed.
 */
export function followCards(
  client: ChatClient,
  current: Current,
  screen: CardScreen,
  redraw: () => void,
): Follower & { readonly ready: Promise<void> } {
  let after: number | undefined
  let started: () => void = () => {}
  const ready = new Promise<void>((resolve) => {
    started = resolve
  })
  const follower = loop(async (signal) => {
    const space = cardSpace(current().target)
    if (after === undefined) {
      after = (await client.cards(space, 0, 0, signal)).version
      client.cardVersion = after
      started()
      return
    }
    const { version, cards } = await client.cards(space, after, 10_000, signal)
    after = version
    client.cardVersion = version
    // A card that answers the question in flight is printed as its answer first.
    await current().answering.catch(() => undefined)
    let printed = false
    for (const card of cards) {
      if (signal.aborted || !screen.isNew(card)) continue
      if (screen.knows(card.outTrackId)) screen.update(card)
      else screen.show(card, { head: '🃏 the bot posted a card:', foot: '(card)' })
      printed = true
    }
    if (printed) redraw()
  })
  return { ...follower, ready }
}
