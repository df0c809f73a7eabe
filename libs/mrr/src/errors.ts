/**
 * Input the MRR rules cannot value: a price with neither unit_amount nor tiers, an interval that is
 * not one, a fractional quantity. `path` says where (`subscription_items[1].price.tiers[0].up_to`).
 * Retrying gives the same failure, so the caller rejects the event rather than guessing.
 */
export class MrrInputError extends Error {
  override readonly name = 'MrrInputError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}
