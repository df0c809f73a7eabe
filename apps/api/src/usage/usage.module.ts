import { Module } from '@nestjs/common';
import { UsageController } from './usage.controller';
import { UsageQueryService } from './usage-query.service';

/** `GET /v1/usage`: the metering read models, per customer and billing period. */
@Module({ controllers: [UsageController], providers: [UsageQueryService] })
export class UsageModule {}
