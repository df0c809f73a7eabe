import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { type ReadinessCheck, runChecks, type HealthReport } from './health';

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/**
 * GET /health: liveness plus readiness (200 when every dependency answers, 503 otherwise).
 * GET /health/live: the process is up. GET /health/ready: readiness alone.
 */
@Controller('health')
export class HealthController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[]) {}

  @Get()
  async health(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthReport> {
    const report = await runChecks(this.checks);
    reply.status(report.ready ? 200 : 503);
    return report;
  }

  @Get('live')
  live(): { status: 'ok'; live: true } {
    return { status: 'ok', live: true };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthReport> {
    return this.health(reply);
  }
}
