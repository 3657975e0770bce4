/**
 * Give memory back after a burst. Streaming a large body or serving a burst of requests leaves tens
 * of MB of dead buffers that V8 collects only when it next needs room, which an idle proxy never
 * does: its RSS stays at the peak for hours. So once traffic stops (no new request or tunnel for two
 * checks in a row, one second apart), run one full collection. It costs ~20-40 ms, only when idle,
 * once per burst.
 *
 * Node has no public API for this; the `gc` function is exposed at run time the way the `expose-gc`
 * package does it. If that ever stops working, collection is simply left to V8.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = () => void;

function loadGc(): Collect | undefined {
  const existing = (globalThis as { gc?: Collect }).gc;
  if (typeof existing === 'function') return existing;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as Collect) : undefined;
  } catch {
    return undefined;
  }
}

export class IdleCollector {
  private seen = 0;
  private quietTicks = 0;
  private dirty = false;
  private readonly timer: NodeJS.Timeout;
  private readonly gc = loadGc();

  /** `activity`: a counter of requests and tunnels started; `busy`: whether anything is in flight. */
  constructor(private readonly activity: () => number, private readonly busy: () => boolean, everyMs = 1000) {
    this.timer = setInterval(() => this.tick(), everyMs);
    this.timer.unref();
  }

  private tick(): void {
    const now = this.activity();
    if (now !== this.seen) {
      this.seen = now;
      this.quietTicks = 0;
      this.dirty = true;
      return;
    }
    if (!this.dirty || this.busy() || ++this.quietTicks < 2) return;
    this.dirty = false;
    this.gc?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
