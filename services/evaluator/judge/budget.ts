/**
 * A rule's judge spend in USD per UTC clock hour and UTC day, against its caps. Pure:
 * time comes in as an argument; a window starts over when the clock enters a new one.
 *
 * The service checks `exhausted(now)` before sampling a trace for the rule and again,
 * inside the rule's concurrency limit, right before the call; so the cap can be exceeded
 * by at most the calls already in flight when it was reached (<= the rule's concurrency).
 */
export type BudgetWindow = 'hour' | 'day';

export interface BudgetCaps {
  perHourUsd?: number;
  perDayUsd?: number;
}

export interface Exhaustion {
  window: BudgetWindow;
  spentUsd: number;
  capUsd: number;
  /** When the window ends and sampling resumes (ms since epoch). */
  resetsAt: number;
  /** True the first time this window is seen exhausted: log it once, not per trace. */
  firstInWindow: boolean;
}

export interface BudgetSnapshot {
  hour: { spent_usd: number; cap_usd: number | null };
  day: { spent_usd: number; cap_usd: number | null };
  exhausted: boolean;
  exhausted_window: BudgetWindow | null;
  resets_at: string | null;
}

export interface BudgetLedger {
  exhausted(now: number): Exhaustion | null;
  record(costUsd: number, now: number): void;
  snapshot(now: number): BudgetSnapshot;
}

const SPAN: Record<BudgetWindow, number> = { hour: 3_600_000, day: 86_400_000 };

export function createBudgetLedger(caps: BudgetCaps): BudgetLedger {
  const windows = (['hour', 'day'] as const)
    .map((w) => ({ window: w, cap: w === 'hour' ? caps.perHourUsd : caps.perDayUsd, key: Number.NaN, spent: 0, warnedKey: Number.NaN }))
    .filter((w): w is typeof w & { cap: number } => w.cap !== undefined);

  function roll(now: number): void {
    for (const w of windows) {
      const key = Math.floor(now / SPAN[w.window]);
      if (key !== w.key) {
        w.key = key;
        w.spent = 0;
      }
    }
  }

  function exhausted(now: number): Exhaustion | null {
    roll(now);
    for (const w of windows) {
      if (w.spent >= w.cap) {
        const firstInWindow = w.warnedKey !== w.key;
        w.warnedKey = w.key;
        return { window: w.window, spentUsd: w.spent, capUsd: w.cap, resetsAt: (w.key + 1) * SPAN[w.window], firstInWindow };
      }
    }
    return null;
  }

  return {
    exhausted,
    record(costUsd, now) {
      roll(now);
      for (const w of windows) w.spent += costUsd;
    },
    snapshot(now) {
      roll(now);
      const of = (window: BudgetWindow) => {
        const w = windows.find((x) => x.window === window);
        return { spent_usd: w ? round(w.spent) : 0, cap_usd: w ? w.cap : null };
      };
      const full = windows.find((w) => w.spent >= w.cap);
      return {
        hour: of('hour'),
        day: of('day'),
        exhausted: full !== undefined,
        exhausted_window: full?.window ?? null,
        resets_at: full ? new Date((full.key + 1) * SPAN[full.window]).toISOString() : null,
      };
    },
  };
}

const round = (usd: number) => Math.round(usd * 1e9) / 1e9;
