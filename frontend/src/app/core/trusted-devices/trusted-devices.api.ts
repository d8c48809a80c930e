import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, map } from 'rxjs';
import { TrustedDevice, TrustedDevicesResponse } from '../auth/api.types';

/** Browsers that skip the code step ("Remember this device for 30 days"; DESIGN.md §4, §5). */
@Injectable({ providedIn: 'root' })
export class TrustedDevicesApi {
  private readonly http = inject(HttpClient);

  /** GET /auth/trusted-devices; `current` marks this browser. */
  list(): Observable<TrustedDevice[]> {
    return this.http.get<TrustedDevicesResponse>('/auth/trusted-devices').pipe(map((r) => r?.devices ?? []));
  }

  /** DELETE /auth/trusted-devices/:id (204): its next login asks for a code again. 404 when already gone. */
  forget(id: string): Observable<void> {
    return this.http.delete<void>(`/auth/trusted-devices/${encodeURIComponent(id)}`);
  }
}
