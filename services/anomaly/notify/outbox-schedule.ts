import type { OutboxItem } from './outbox-journal.ts';
import { inOrder, type OutboxTable } from './outbox-replay.ts';

/**
 * What the deliverer asks the outbox: which items wait, which are due, when the next is
 * due; and how many items are in each state. Pure reads of the items.
 */

/** Pending items, oldest first (per receiver, items go out in this order). */
export function pendingItems(items: OutboxTable): OutboxItem[] {
  return inOrder(items).filter((i) => i.state === 'pending');
}

/** Pending items with next_at <= at, oldest first. */
export function dueItems(items: OutboxTable, at: number): OutboxItem[] {
  return pendingItems(items).filter((i) => i.next_at <= at);
}

/** Earliest next_at over pending items; null when nothing is pending. */
export function nextDueAt(items: OutboxTable): number | null {
  let min: number | null = null;
  for (const i of items.byId.values()) if (i.state === 'pending' && (min === null || i.next_at < min)) min = i.next_at;
  return min;
}

export function isPending(items: OutboxTable, id: string): boolean {
  return items.byId.get(id)?.state === 'pending';
}

export function stateCounts(items: OutboxTable): { pending: number; delivered: number; failed: number } {
  let pending = 0;
  let delivered = 0;
  let failed = 0;
  for (const i of items.byId.values()) {
    if (i.state === 'pending') pending++;
    else if (i.state === 'delivered') delivered++;
    else failed++;
  }
  return { pending, delivered, failed };
}
