import { Module } from '@nestjs/common';
import { CohortsController } from './cohorts.controller';
import { CohortsQueryService } from './cohorts-query.service';

/** GET /v1/cohorts/expansion-ready and /v1/cohorts/silent-churn, read from the cohorts schema. */
@Module({ controllers: [CohortsController], providers: [CohortsQueryService] })
export class CohortsQueryModule {}
