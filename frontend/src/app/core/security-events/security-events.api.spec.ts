import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { anEvent } from '../../../testing/fixtures';
import { provideTestApp, signIn } from '../../../testing/test-utils';
import { SecurityEventsApi } from './security-events.api';

describe('SecurityEventsApi', () => {
  let api: SecurityEventsApi;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    api = TestBed.inject(SecurityEventsApi);
    http = TestBed.inject(HttpTestingController);
    signIn();
  });

  afterEach(() => http.verify());

  it('first page: GET /auth/security-events without a cursor', async () => {
    const result = firstValueFrom(api.page());
    const req = http.expectOne('/auth/security-events');
    expect(req.request.method).toBe('GET');
    req.flush({ events: [anEvent()], nextCursor: 'c1' });
    expect(await result).toEqual({ events: [anEvent()], nextCursor: 'c1' });
  });

  it('next page: ?limit=&before=<cursor>; a missing nextCursor reads as the last page', async () => {
    const result = firstValueFrom(api.page({ before: 'c1/+=', limit: 20 }));
    const req = http.expectOne((r) => r.url === '/auth/security-events');
    expect(req.request.params.get('before')).toBe('c1/+=');
    expect(req.request.params.get('limit')).toBe('20');
    expect(req.request.urlWithParams).toBe('/auth/security-events?limit=20&before=c1/%2B=');
    req.flush({ events: [] });
    expect(await result).toEqual({ events: [], nextCursor: null });
  });
});
