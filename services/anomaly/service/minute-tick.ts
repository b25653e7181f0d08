import type { Logger } from '../../core/logger.ts';
import type { Store } from '../../core/store/store.ts';
import { MINUTE_MS } from '../../core/time.ts';
import type { AlertsFile } from '../config/alerts-file.ts';
import type { DetectionEngine } from '../engine/engine.ts';
import { readSpend, readUserSpend } from '../store/spend.ts';
import { MIN_PROJECTION_ELAPSED, periodBounds, type BudgetPeriod } from '../rules/budget-rule.ts';
import type { ClosedMinute, MinuteAggregator } from '../minute-aggregator.ts';
import type { StaticRules } from '../rules/static-rules.ts';
import type { AlertDelivery } from './alert-delivery.ts';
import type { ServiceCounters } from './counters.ts';

/** Share of the UTC day or month elapsed at `at`. */
const periodElapsed = (p: BudgetPeriod, at: number) => {
  const { start, end } = periodBounds(p, at);
  return (at - start) / (end - start);
};

/**
 * The service's tick: close the minutes whose grace period is over, judge each with the
 * learned detectors and the static rules, deliver what changed, then check the budgets
 * (at most once a minute). One tick at a time; a failed one leaves the judged minutes
 * queued for the next.
 */
export interface MinuteTick {
  /** Learned detectors and static rules on one closed minute; its changes are queued for delivery (in memory; never fails). */
  judge(closed: ClosedMinute): void;
  /** Runs a tick, or returns the one in flight. Never rejects: a failure is logged. */
  tick(): Promise<void>;
  /** The tick in flight, if any. */
  inFlight(): Promise<void> | null;
}

export interface MinuteTickDeps {
  engine: Pick<DetectionEngine, 'closeMinute'>;
  rules: Pick<StaticRules, 'onMinute' | 'checkBudgets'>;
  aggregator: Pick<MinuteAggregator, 'closeReady'>;
  delivery: AlertDelivery;
  store: Store;
  file: Pick<AlertsFile, 'budgets'>;
  counters: ServiceCounters;
  log: Logger;
  now: () => number;
}

/** Budgets are judged at most once a minute, and not at all without budgets. */
export function budgetCheckDue(hasBudgets: boolean, at: number, lastCheck: number): boolean {
  return hasBudgets && at - lastCheck >= MINUTE_MS;
}

export function createMinuteTick(deps: MinuteTickDeps): MinuteTick {
  const { engine, rules, delivery } = deps;
  let ticking: Promise<void> | null = null;
  let lastBudgetCheck = 0;

  function judge(closed: ClosedMinute): void {
    const events = [...engine.closeMinute(closed.minute, closed.rows), ...rules.onMinute(closed.minute, closed.rows)];
    deps.counters.minutes_judged++;
    delivery.queue(closed.minute, events);
  }

  async function checkBudgets(at: number): Promise<void> {
    if (!budgetCheckDue(deps.file.budgets.length > 0, at, lastBudgetCheck)) return;
    const spend = await readSpend(deps.store, at);
    const perUser = deps.file.budgets.filter((b) => b.per === 'user');
    const userSpend =
      perUser.length > 0
        ? await readUserSpend(deps.store, at, perUser, { day: periodElapsed('daily', at), month: periodElapsed('monthly', at), min: MIN_PROJECTION_ELAPSED })
        : undefined;
    const events = rules.checkBudgets(at, spend, userSpend);
    lastBudgetCheck = at;
    await delivery.deliver(events);
  }

  async function runTick(): Promise<void> {
    const at = deps.now();
    for (const closed of deps.aggregator.closeReady(at)) judge(closed);
    await delivery.persist();
    await checkBudgets(at);
  }

  return {
    judge,
    tick() {
      ticking ??= runTick()
        .catch((err) => deps.log.error({ err, pending_minutes: delivery.pending() }, 'anomaly tick failed; retrying at the next tick'))
        .finally(() => {
          ticking = null;
        });
      return ticking;
    },
    inFlight: () => ticking,
  };
}
