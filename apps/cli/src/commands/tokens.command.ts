import type { Command } from 'commander';
import { CommonConfig, loadConfig } from '@revstream/config';
import { withTenancy } from './tenants.command';

/** `tokens revoke <token>`: the gateway and the query API refuse it within a few seconds (their cache polls every second). */
export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('tenant tokens');
  tokens
    .command('revoke <token>')
    .description('revoke a token; requests with it are refused within seconds')
    .action(async (token: string) => {
      const config = loadConfig(CommonConfig);
      const revoked = await withTenancy(config.DATABASE_URL, (repo) => repo.revokeToken(token));
      if (revoked) {
        process.stdout.write(`token ${token.slice(0, 8)}… revoked\n`);
      } else {
        process.stderr.write(`no active token matches ${token.slice(0, 8)}… (unknown, or already revoked)\n`);
        process.exitCode = 1;
      }
    });
}
