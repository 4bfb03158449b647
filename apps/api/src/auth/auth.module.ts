import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from '@medrec/auth';
import { AdminBootstrap } from './admin-bootstrap';
import { AuthController } from './auth.controller';

@Module({
  controllers: [AuthController],
  providers: [AdminBootstrap, { provide: APP_GUARD, useClass: AuthGuard }],
})
export class AuthModule {}
