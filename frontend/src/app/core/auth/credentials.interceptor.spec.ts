import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { credentialsInterceptor } from './credentials.interceptor';

describe('credentialsInterceptor', () => {
  it('sends cookies with every request', () => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(withInterceptors([credentialsInterceptor])), provideHttpClientTesting()],
    });
    const http = TestBed.inject(HttpClient);
    const mock = TestBed.inject(HttpTestingController);
    http.get('/auth/me').subscribe();
    http.post('/auth/login', {}).subscribe();
    expect(mock.expectOne('/auth/me').request.withCredentials).toBe(true);
    expect(mock.expectOne('/auth/login').request.withCredentials).toBe(true);
    mock.verify({ ignoreCancelled: true });
  });

  it('is a no-op without the interceptor (the test can fail)', () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    TestBed.inject(HttpClient).get('/auth/me').subscribe();
    expect(TestBed.inject(HttpTestingController).expectOne('/auth/me').request.withCredentials).toBe(false);
  });
});
