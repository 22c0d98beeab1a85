/** One page of a listing and the cursor to the next (absent on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}
