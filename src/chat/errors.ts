/** A problem the chat explains to its user (bot not running, bad command...), not a crash. */
export class ChatError extends Error {
  override name = 'ChatError'
}
