import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/** The repository root: the nearest folder above this file that holds nest-cli.json. Works from src and dist. */
export function projectRoot(): string {
  if (cached !== undefined) return cached;
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'nest-cli.json'))) return (cached = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no nest-cli.json above ${__dirname}`);
    dir = parent;
  }
}
