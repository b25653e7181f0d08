import type { AlertEvent, AlertGroup } from '../types.ts';

/**
 * Which alert events reach a human. People are told when something starts firing, is
 * still firing (a reminder: previous === 'firing') and when something that fired is
 * over. Pending is only a suspicion, and pending → resolved is a suspicion that went
 * away: both stay silent. An event whose `covered_by` is set adds nothing to an
 * already-firing alert on a wider series and is stored but never sent on its own.
 */
export function isNotifiable(event: AlertEvent): boolean {
  if (event.covered_by) return false;
  if (event.state === 'firing') return true;
  if (event.state === 'resolved') return event.previous === 'firing';
  return false;
}

/** True when the event is a repeat of a firing alert rather than news. */
export function isReminder(event: AlertEvent): boolean {
  return event.state === 'firing' && event.previous === 'firing';
}

/** The group with only its notifiable events, or null when none is left (nothing to send). */
export function notifiablePart(group: AlertGroup): AlertGroup | null {
  const events = group.events.filter(isNotifiable);
  if (events.length === 0) return null;
  return events.length === group.events.length ? group : { ...group, events };
}
