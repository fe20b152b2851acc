// What happened during a build, as the manifest reports it: each hook that ran (with its wall-
// clock window, so that packages dpkg installed can be traced to the hook that installed them),
// each phase taken from the layer cache and why, and each output written. Collected from the
// build's events by a sink; the inventory of the finished tree is added by the build.
import { appendFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildEvent, EventSink } from '../report/events.js';
import type { ImageInventory } from '../sbom/inventory.js';
import { markerLine, type HookRef } from './dpkg-log.js';

/** A hook that ran in this build. */
export interface HookRun extends HookRef {
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
  /** Packages (`name`) → the hook that installed them, from dpkg's log. */
  installedBy = new Map<string, HookRef>();
  private readonly open = new Map<string, number>();

  /**
   * The image root while it is built (set once the work folder exists): when kiln is root, a line
   * naming each hook is written into its dpkg log before the hook runs (dpkg-log.ts), so that
   * packages can be traced to hooks whatever the timing, in cached layers too.
   */
  markRoot: string | undefined;

  private mark(ref: HookRef): void {
    if (!this.markRoot || ref.phase === 'root' || process.getuid?.() !== 0) return;
    const log = join(this.markRoot, 'var/log/dpkg.log');
    try {
      // Only a Debian root's own log, never through a link.
      if (lstatSync(log).isFile()) appendFileSync(log, markerLine(ref, new Date()));
    } catch {
      // No dpkg log (not a Debian root): nothing to mark.
    }
  }

  /** The sink to add to the build's events. */
  readonly sink: EventSink = (event: BuildEvent) => {
    switch (event.type) {
      case 'hook-start':
        this.open.set(`${event.phase}/${event.hook}`, Date.now());
        this.mark({ phase: event.phase, hook: event.hook, flavour: event.flavour });
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
