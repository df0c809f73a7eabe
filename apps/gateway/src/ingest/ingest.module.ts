import { Module } from '@nestjs/common';
import { AccessController } from '../identity/access.controller';
import { LookupCustomerUseCase } from '../identity/lookup-customer.use-case';
import { IngestPulsoraUseCase } from './pulsora/ingest-pulsora.use-case';
import { PulsoraController } from './pulsora/pulsora.controller';
import { IngestReveniumUseCase } from './revenium/ingest-revenium.use-case';
import { ReveniumController } from './revenium/revenium.controller';
import { IngestRevlintUseCase } from './revlint/ingest-revlint.use-case';
import { RevlintController } from './revlint/revlint.controller';
import { IngestRevnuUseCase } from './revnu/ingest-revnu.use-case';
import { RevnuController } from './revnu/revnu.controller';
import { IngestAuthGuard } from './shared/ingest-auth.guard';
import { IngestPublisher } from './shared/ingest-publisher';
import { IngestRateLimiter } from './shared/ingest-rate-limiter';
import { IngestValuedUseCase } from './valued/ingest-valued.use-case';
import { ValuedController } from './valued/valued.controller';

/** The five seed APIs (and Revnu's access lookup): controller -> DTO -> one use case -> publish. */
@Module({
  controllers: [RevlintController, PulsoraController, RevnuController, ValuedController, ReveniumController, AccessController],
  providers: [
    IngestAuthGuard,
    IngestRateLimiter,
    IngestPublisher,
    IngestRevlintUseCase,
    IngestPulsoraUseCase,
    IngestRevnuUseCase,
    IngestValuedUseCase,
    IngestReveniumUseCase,
    LookupCustomerUseCase,
  ],
})
export class IngestModule {}
