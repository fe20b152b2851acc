// What happened during a build, as the manifest reports it: each hook that ran (with its wall-
// clock window, so that packages dpkg installed can be traced to the hook that installed them),
// each phase taken from the layer cache and why, and each output written. Collected from the
// build's events by a sink; the inventory of the finished tree is added by the build.
import type { BuildEvent, EventSink } from '../report/events.js';
import type { ImageInventory } from '../sbom/inventory.js';

/** A hook that ran in this build. */
export interface HookRun {
  phase: string;
  hook: string;
  flavour: string;
  startedMs: number;
  endedMs: number;
}

/** The record of one build. */
export class BuildRecord {
  readonly hooks: HookRun[] = [];
  readonly cachedPhases: { phase: string; reason: string }[] = [];
  readonly outputs: { format: string; path: string; bytes: number }[] = [];
  /** The finished tree's inventory, read before the tree is archived or the disk closed. */
  inventory: ImageInventory | undefined;
  /** Packages (`name`) → the hook that installed them (`install.d/05-x (flavour)`), from dpkg's log. */
  installedBy = new Map<string, HookRun>();
  private readonly open = new Map<string, number>();

  /** The sink to add to the build's events. */
  readonly sink: EventSink = (event: BuildEvent) => {
    switch (event.type) {
      case 'hook-start':
        this.open.set(`${event.phase}/${event.hook}`, Date.now());
        break;
      case 'hook-end': {
        const key = `${event.phase}/${event.hook}`;
        const startedMs = this.open.get(key) ?? Date.now() - event.durationMs;
        this.open.delete(key);
        this.hooks.push({ phase: event.phase, hook: event.hook, flavour: event.flavour, startedMs, endedMs: Date.now() });
        break;
      }
      case 'phase-cached':
        this.cachedPhases.push({ phase: event.phase, reason: event.reason });
        break;
      case 'output':
        this.outputs.push({ format: event.format, path: event.path, bytes: event.bytes });
        break;
      default:
        break;
    }
  };
}
