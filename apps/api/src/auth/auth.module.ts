import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from '@medrec/auth';
import { AdminBootstrap } from './admin-bootstrap';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { AuthController } from './auth.controller';
import { SignInService } from './sign-in.service';
import { UsersController } from './users.controller';

@Module({
  controllers: [AuthController, UsersController],
  providers: [AdminBootstrap, ThrottlerStorageService, SignInService, { provide: APP_GUARD, useClass: AuthGuard }],
})
export class AuthModule {}
