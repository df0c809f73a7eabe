/**
 * Remembers a pure function of a string (keys repeat across events: `properties.feature`, …).
 * Bounded: the memory is dropped when it holds `max` answers.
 */
export function memoizeByString<T>(fn: (key: string) => T, max = 50_000): (key: string) => T {
  const answers = new Map<string, T>();
  return (key) => {
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = fn(key);
      if (answers.size >= max) answers.clear();
      answers.set(key, answer);
    }
    return answer;
  };
}
