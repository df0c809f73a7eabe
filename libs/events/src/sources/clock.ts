/** Time as part of the log. Projections that react to time passing read ticks, never the wall clock. */
export interface ClockTickData {
  /** ISO-8601 instant this tick stands for. */
  at: string;
}
