import 'reflect-metadata';
import { Command } from 'commander';
import { ConfigError } from '@revstream/config';
import { registerMigrate } from './commands/migrate.command';
import { registerCohorts } from '../../cohorts/src/cohort-settings.command';
import { registerReplay } from './commands/replay.command';

/** `npm run cli -- <command>`: the operator's tool. */
export function buildCli(): Command {
  const program = new Command('revstream').description('Revstream operator CLI').showHelpAfterError();
  registerMigrate(program);
  registerReplay(program);
  registerCohorts(program);
  return program;
}

if (require.main === module) {
  buildCli()
    .parseAsync(process.argv)
    .then(() => process.exit(process.exitCode ?? 0))
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
