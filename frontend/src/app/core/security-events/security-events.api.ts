import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, map } from 'rxjs';
import { SecurityEventsQuery, SecurityEventsResponse } from '../auth/api.types';

/** The user's audit log, page by page (GET /auth/security-events?limit=&before=). */
@Injectable({ providedIn: 'root' })
export class SecurityEventsApi {
  private readonly http = inject(HttpClient);

  /** One page, newest first. Pass the previous page's `nextCursor` as `before`; null means the last page. */
  page(query: SecurityEventsQuery = {}): Observable<SecurityEventsResponse> {
    let params = new HttpParams();
    if (query.limit !== undefined) params = params.set('limit', String(query.limit));
    if (query.before) params = params.set('before', query.before);
    return this.http
      .get<Partial<SecurityEventsResponse> | null>('/auth/security-events', { params })
      .pipe(map((r) => ({ events: r?.events ?? [], nextCursor: r?.nextCursor ?? null })));
  }
}
