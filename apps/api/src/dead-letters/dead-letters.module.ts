import { Module } from '@nestjs/common';
import { DeadLettersController } from './dead-letters.controller';
import { DeadLettersQuery } from './dead-letters.query';

@Module({ controllers: [DeadLettersController], providers: [DeadLettersQuery] })
export class DeadLettersModule {}
