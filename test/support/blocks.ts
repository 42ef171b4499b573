/** Reading Block Kit in tests: kept apart from the harness so that unit tests can use it without the fakes. */

/** All the text of a message's blocks, for assertions on what people see. */
export function blocksText(message: { text?: string; blocks?: unknown } | undefined): string {
  if (!message) return '';
  const parts: string[] = [message.text ?? ''];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
      return;
    }
    if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') parts.push(value);
        else walk(value);
      }
    }
  };
  walk(message.blocks);
  return parts.join('\n');
}
