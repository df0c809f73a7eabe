import { compareStamps, DAY_MS } from './time';

/**
 * Facts that only matter as "when did this happen, and when last" are kept as spans: runs of events
 * no more than SPAN_GAP_MS apart, with the last event of the run (its time, id and evidence). Every
 * window the rules accept is at least SPAN_GAP_MS long, so a gap inside a span can never open a
 * window on its own: the spans answer the rules exactly, for any allowed setting, in a fraction of
 * the space of the events.
 *
 * Adding an event to spans is a join: commutative, associative and idempotent. Whatever order the
 * events arrive in, and however often, the spans come out the same.
 */
export const SPAN_GAP_MS = DAY_MS;

export interface Span<E = null> {
  /** First event, epoch ms. */
  readonly s: number;
  /** Last event, epoch ms. */
  readonly e: number;
  /** The last event's id (the greatest, when several share the last instant). */
  readonly id: string;
  /** What the last event showed, when the rule reports it as evidence. */
  readonly ev: E;
}

const endOf = <E>(span: Span<E>): { at: number; id: string } => ({ at: span.e, id: span.id });

function merge<E>(a: Span<E>, b: Span<E>): Span<E> {
  const last = compareStamps(endOf(a), endOf(b)) >= 0 ? a : b;
  return { s: Math.min(a.s, b.s), e: last.e, id: last.id, ev: last.ev };
}

/**
 * Joins a span into a sorted list of spans (each more than `gap` apart), merging every span it comes
 * within `gap` of. Returns the same array when nothing changes.
 */
export function addSpan<E>(spans: readonly Span<E>[], span: Span<E>, gap: number = SPAN_GAP_MS): readonly Span<E>[] {
  let merged = span;
  const absorbed: Span<E>[] = [];
  const kept: Span<E>[] = [];
  for (const x of spans) {
    if (x.e + gap < merged.s || x.s - gap > merged.e) {
      kept.push(x);
    } else {
      merged = merge(x, merged);
      absorbed.push(x);
    }
  }
  const only = absorbed.length === 1 ? absorbed[0]! : undefined;
  if (only !== undefined && only.s === merged.s && only.e === merged.e && only.id === merged.id) return spans;
  kept.push(merged);
  return kept.sort((a, b) => a.s - b.s);
}

export const joinSpans = <E>(a: readonly Span<E>[], b: readonly Span<E>[], gap: number = SPAN_GAP_MS): readonly Span<E>[] =>
  b.reduce<readonly Span<E>[]>((acc, s) => addSpan(acc, s, gap), a);

/** The last span whose first event is at or before `at`, i.e. the latest activity known at `at`. */
export function lastSpanAtOrBefore<E>(spans: readonly Span<E>[], at: number): Span<E> | undefined {
  let found: Span<E> | undefined;
  for (const s of spans) {
    if (s.s <= at) found = s;
    else break;
  }
  return found;
}
