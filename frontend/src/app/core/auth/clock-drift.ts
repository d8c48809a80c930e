import { Injectable, inject, signal } from '@angular/core';
import { formatDrift } from './api-error';
import { SessionStore } from './session.store';

/**
 * "Your authenticator's clock is about 2 minutes slow" — told once, after a login whose refused
 * codes showed the phone's clock is off (POST /auth/2fa/verify-login `clockDrift`, DESIGN.md §6
 * rule 19: the code step itself never says how far a code was off). Ends with the session.
 */
@Injectable({ providedIn: 'root' })
export class ClockDriftNotice {
  private readonly _driftSeconds = signal<number | null>(null);
  /** Signed seconds (positive: the phone is fast), or null when there is nothing to say. */
  readonly driftSeconds = this._driftSeconds.asReadonly();

  constructor() {
    inject(SessionStore).onChange(() => this._driftSeconds.set(null));
  }

  /** After the session started: the login's drift, if any (rounded to zero is no drift). */
  show(driftSeconds: number | undefined): void {
    this._driftSeconds.set(driftSeconds !== undefined && Number.isFinite(driftSeconds) && Math.round(driftSeconds) !== 0 ? driftSeconds : null);
  }

  dismiss(): void {
    this._driftSeconds.set(null);
  }
}

/** "Your authenticator’s clock is about 2 minutes slow: set the phone’s time to automatic." */
export function clockDriftText(driftSeconds: number): string {
  return `Your authenticator’s clock is about ${formatDrift(driftSeconds)} ${driftSeconds < 0 ? 'slow' : 'fast'}: set the phone’s time to automatic.`;
}
