import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { readApiError } from '../../../core/auth/api-error';
import { ActiveSession } from '../../../core/auth/api.types';
import { AUTH_MESSAGES, SessionStore } from '../../../core/auth/session.store';
import { SessionsApi } from '../../../core/sessions/sessions.api';
import { relativeTime } from '../../../shared/relative-time';
import { authMethodText } from '../security-event-text';

/**
 * "Sessions": every live login of the user (GET /auth/sessions) with a "Sign out" per row, "Sign out
 * of all other sessions" and "Log out everywhere". Signing out the current row is a logout.
 */
@Component({
  selector: 'app-sessions-card',
  imports: [DatePipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="card" aria-labelledby="sessions-title" data-testid="sessions-card">
      <h2 id="sessions-title">Sessions</h2>
      <p>Where your account is logged in right now. Sign out of any session you don’t recognise.</p>

      @if (unavailable(); as message) {
        <p class="muted" data-testid="sessions-unavailable">{{ message }}</p>
      } @else if (loadError(); as message) {
        <p class="form-error" role="alert">{{ message }}</p>
        <button type="button" class="btn" (click)="reload()">Try again</button>
      } @else if (sessions(); as list) {
        <ul class="item-list" data-testid="sessions" aria-labelledby="sessions-title">
          @for (session of list; track session.id) {
            <li
              class="item"
              data-testid="session"
              [attr.data-session-id]="session.id"
              [attr.data-current]="session.current"
              [attr.data-auth-method]="session.authMethod"
            >
              <div class="item-body">
                <p class="item-title">
                  <span>{{ session.device }}</span>
                  @if (session.current) {
                    <span class="badge badge-on" data-testid="current-session">This device</span>
                  }
                </p>
                <dl class="facts item-facts">
                  <dt>IP address</dt>
                  <dd>{{ session.ip || 'Unknown' }}</dd>
                  <dt>Last active</dt>
                  <dd>
                    <time [attr.datetime]="session.lastSeenAt" [attr.title]="session.lastSeenAt | date: 'medium'">{{
                      ago(session.lastSeenAt)
                    }}</time>
                  </dd>
                  <dt>Signed in</dt>
                  <dd>
                    <time [attr.datetime]="session.createdAt">{{ session.createdAt | date: 'medium' }}</time>
                  </dd>
                  <dt>Verified with</dt>
                  <dd>{{ method(session.authMethod) }}</dd>
                </dl>
              </div>
              <button
                type="button"
                class="btn btn-small"
                [class.btn-danger-outline]="!session.current"
                (click)="signOut(session)"
                [disabled]="busy()"
                [attr.aria-busy]="pendingId() === session.id"
                [attr.aria-label]="signOutLabel(session)"
              >
                Sign out
              </button>
            </li>
          } @empty {
            <li class="muted">No active sessions.</li>
          }
        </ul>
      } @else {
        <p class="muted" aria-live="polite">Loading sessions…</p>
      }

      @if (error(); as message) {
        <p class="form-error" role="alert">{{ message }}</p>
      }
      <p class="status-text" role="status" aria-live="polite" data-testid="sessions-status">{{ status() }}</p>

      @if (!unavailable()) {
        <div class="actions">
          @if (othersCount() > 0) {
            <button
              type="button"
              class="btn"
              (click)="signOutOthers()"
              [disabled]="busy()"
              [attr.aria-busy]="pendingId() === 'others'"
            >
              Sign out of all other sessions
            </button>
          }
          <button
            type="button"
            class="btn btn-danger-outline"
            (click)="logoutEverywhere()"
            [disabled]="busy()"
            [attr.aria-busy]="pendingId() === 'all'"
            aria-describedby="logout-everywhere-hint"
          >
            Log out everywhere
          </button>
        </div>
        <p id="logout-everywhere-hint" class="hint">
          Lost a device? “Log out everywhere” ends every session, including this one, and forgets every remembered device.
        </p>
      }
    </section>
  `,
})
export class SessionsCard {
  private readonly api = inject(SessionsApi);
  private readonly store = inject(SessionStore);
  private readonly router = inject(Router);

  protected readonly sessions = signal<ActiveSession[] | null>(null);
  protected readonly loadError = signal<string | null>(null);
  /** The API keeps the list (and "Log out everywhere") until 2FA is on: an admin's first step. */
  protected readonly unavailable = signal<string | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly status = signal('');
  /** What is running: a session id, 'others' or 'all'; every button waits meanwhile. */
  protected readonly pendingId = signal<string | null>(null);
  protected readonly busy = computed(() => this.pendingId() !== null);
  protected readonly othersCount = computed(() => (this.sessions() ?? []).filter((s) => !s.current).length);

  protected readonly method = authMethodText;
  protected readonly ago = (iso: string) => relativeTime(iso) || 'Unknown';

  constructor() {
    this.reload();
  }

  /** Fetches the list again (after a change that ended other sessions). */
  reload(): void {
    this.loadError.set(null);
    this.unavailable.set(null);
    this.api.list().subscribe({
      next: (list) => this.sessions.set(list),
      error: (err: unknown) => {
        const e = readApiError(err);
        if (e.code === 'TWOFA_SETUP_REQUIRED') {
          this.unavailable.set('Your sessions are listed here once two-factor authentication is on.');
          return;
        }
        this.loadError.set(`Could not load your sessions. ${e.message}`);
      },
    });
  }

  protected signOutLabel(session: ActiveSession): string {
    const where = session.ip ? `${session.device}, ${session.ip}` : session.device;
    return session.current ? `Sign out of this device (${where})` : `Sign out ${where}`;
  }

  protected signOut(session: ActiveSession): void {
    if (this.busy()) return;
    this.start(session.id);
    this.api.revoke(session.id).subscribe({
      next: () => {
        this.pendingId.set(null);
        if (session.current) {
          this.store.expire(AUTH_MESSAGES.loggedOut);
          return;
        }
        this.remove(session.id);
        this.status.set(`Signed out ${session.device}.`);
      },
      error: (err: unknown) => {
        this.pendingId.set(null);
        const e = readApiError(err);
        if (e.code === 'NOT_FOUND' || e.status === 404) {
          this.remove(session.id);
          this.status.set(`That session (${session.device}) had already ended.`);
          return;
        }
        this.error.set(`Could not sign out ${session.device}. ${e.message}`);
      },
    });
  }

  protected signOutOthers(): void {
    if (this.busy()) return;
    this.start('others');
    this.api.revokeOthers().subscribe({
      next: (revoked) => {
        this.pendingId.set(null);
        this.sessions.update((list) => (list ?? []).filter((s) => s.current));
        this.status.set(
          revoked === 0
            ? 'There were no other sessions to sign out.'
            : `Signed out of ${revoked} other ${revoked === 1 ? 'session' : 'sessions'}.`,
        );
      },
      error: (err: unknown) => {
        this.pendingId.set(null);
        this.error.set(`Could not sign out the other sessions. ${readApiError(err).message}`);
      },
    });
  }

  protected logoutEverywhere(): void {
    if (this.busy()) return;
    this.start('all');
    this.api.logoutAll().subscribe({
      next: () => {
        this.pendingId.set(null);
        this.store.setNotice(AUTH_MESSAGES.loggedOutEverywhere);
        void this.router.navigateByUrl('/login');
      },
      error: (err: unknown) => {
        this.pendingId.set(null);
        this.error.set(readApiError(err).message);
      },
    });
  }

  private start(id: string): void {
    this.pendingId.set(id);
    this.error.set(null);
    this.status.set('');
  }

  private remove(id: string): void {
    this.sessions.update((list) => (list ?? []).filter((s) => s.id !== id));
  }
}
