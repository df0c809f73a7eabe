/**
 * Input that rating cannot use as it stands (a negative usage value, a malformed tier). Pure code
 * throws it with a message that names the field; the projection turns it into a dead letter.
 */
export class RatingInputError extends Error {
  override readonly name = 'RatingInputError';
}
