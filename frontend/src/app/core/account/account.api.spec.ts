import { HttpErrorResponse } from '@angular/common/http';
import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { aUser, errorResponse, provideTestApp } from '../../../testing/test-utils';
import { SessionStore } from '../auth/session.store';
import { AccountApi } from './account.api';

describe('AccountApi', () => {
  let api: AccountApi;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    api = TestBed.inject(AccountApi);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('register: POST /auth/register → 201 {user} starts the session', async () => {
    const result = firstValueFrom(api.register({ email: 'ada@example.com', password: 'correct horse battery' }));
    const req = http.expectOne('/auth/register');
    expect(req.request.method).toBe('POST');
    expect(req.request.withCredentials).toBe(true);
    expect(req.request.body).toEqual({ email: 'ada@example.com', password: 'correct horse battery' });
    req.flush({ user: aUser() }, { status: 201, statusText: 'Created' });
    expect((await result).user.email).toBe('ada@example.com');
    expect(TestBed.inject(SessionStore).isLoggedIn()).toBe(true);
  });

  it('register: 409 EMAIL_TAKEN reaches the caller', async () => {
    const result = firstValueFrom(api.register({ email: 'ada@example.com', password: 'x'.repeat(12) }));
    const { body, opts } = errorResponse(409, 'EMAIL_TAKEN');
    http.expectOne('/auth/register').flush(body, opts);
    await expect(result).rejects.toBeInstanceOf(HttpErrorResponse);
    expect(TestBed.inject(SessionStore).isLoggedIn()).toBe(false);
  });
});
