// What happened during a build, as the manifest reports it: each hook that ran (with its wall-
// clock window, so that packages dpkg installed can be traced to the hook that installed them),
// each phase taken from the layer cache and why, and each output written. Collected from the
// build's events by a sink; the inventory of the finished tree is added by the build.
import { closeSync, constants, lstatSync, openSync, writeSync } from 'node:fs';
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
    const inRoot = (path: string): string => join(this.markRoot!, path);
    try {
      // Only a Debian root, and only its own log: no folder on the way and not the log itself may
      // be a link (O_NOFOLLOW). The log is created when the bootstrap left none (mmdebstrap
      // removes it), so that the packages the next hooks install are still traced to them.
      if (!lstatSync(inRoot('var/lib/dpkg/status')).isFile()) return;
      if (!['var', 'var/log'].every((dir) => lstatSync(inRoot(dir)).isDirectory())) return;
      const fd = openSync(inRoot('var/log/dpkg.log'), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
      try {
        writeSync(fd, markerLine(ref, new Date()));
      } finally {
        closeSync(fd);
      }
    } catch {
      // Not a Debian root, or a link where the log should be: nothing to mark.
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
