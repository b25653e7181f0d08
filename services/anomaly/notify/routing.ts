import { compileGlob } from '../../core/glob.ts';
import type { ReceiverConfig, RouteConfig } from '../config/alerts-file.ts';
import type { AlertEvent, AlertGroup } from '../types.ts';
import { isNotifiable } from './notifiable.ts';

/**
 * Routes decide who hears about which alert. Each route matches on globs over the alert
 * key (rule, metric, feature, model) and an exact severity; routes are tried in file
 * order and, unless a matching route says `continue: true`, the first match ends the
 * search. No matching route means nobody is told (the alert is still stored and
 * published), which makes an empty `routes` list a safe default.
 */
export type CompiledRoute = (event: AlertEvent) => boolean;

/** Compiles a route's match once so routing many events does not rebuild regexps. */
export function compileRoute(route: RouteConfig): CompiledRoute {
  const m = route.match ?? {};
  const rule = compileGlob(m.rule);
  const metric = compileGlob(m.metric);
  const feature = compileGlob(m.feature);
  const model = compileGlob(m.model);
  return (e) =>
    (m.severity === undefined || m.severity === e.severity) && rule(e.key.rule) && metric(e.key.metric) && feature(e.key.feature) && model(e.key.model);
}

/** A router over a fixed route list: compiled once, used for every group. */
export interface Router {
  /** Receiver names one event goes to, in `receivers` order, unknown names dropped. */
  routeEvent(event: AlertEvent): string[];
  /** Union over the group's notifiable events. */
  routeGroup(group: AlertGroup): string[];
}

export function createRouter(routes: readonly RouteConfig[], receivers: readonly Pick<ReceiverConfig, 'name'>[]): Router {
  const compiled = routes.map((r) => ({ match: compileRoute(r), receivers: r.receivers, continue: r.continue ?? false }));
  const order = receivers.map((r) => r.name);
  const inOrder = (names: Set<string>) => order.filter((n) => names.has(n));

  function collect(event: AlertEvent, into: Set<string>): void {
    for (const route of compiled) {
      if (!route.match(event)) continue;
      for (const n of route.receivers) into.add(n);
      if (!route.continue) return;
    }
  }

  return {
    routeEvent(event) {
      const names = new Set<string>();
      collect(event, names);
      return inOrder(names);
    },
    routeGroup(group) {
      const names = new Set<string>();
      for (const e of group.events) if (isNotifiable(e)) collect(e, names);
      return inOrder(names);
    },
  };
}

/**
 * Receiver names a group is sent to: the union, over the group's notifiable events, of
 * the receivers of their matching routes (see the module comment for `continue`).
 * Names not in `receivers` are dropped; the result follows the order of `receivers`.
 */
export function routeGroup(group: AlertGroup, routes: readonly RouteConfig[], receivers: readonly Pick<ReceiverConfig, 'name'>[]): string[] {
  return createRouter(routes, receivers).routeGroup(group);
}
