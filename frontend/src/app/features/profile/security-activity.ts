import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { readApiError } from '../../core/auth/api-error';
import { SecurityEvent } from '../../core/auth/api.types';
import { AuthService } from '../../core/auth/auth.service';
import { describeSecurityEvent, eventMeta, isWarningEvent } from './security-event-text';

const INITIALLY_SHOWN = 10;

@Component({
  selector: 'app-security-activity',
  imports: [DatePipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="card" aria-labelledby="activity-title">
      <h2 id="activity-title">Recent security activity</h2>
      @if (error(); as message) {
        <p class="form-error" role="alert">{{ message }}</p>
        <button type="button" class="btn" (click)="reload()">Try again</button>
      } @else if (events(); as list) {
        @if (list.length === 0) {
          <p class="muted">No activity yet.</p>
        } @else {
          <ul class="activity" data-testid="security-events">
            @for (event of visible(); track event.id) {
              <li class="activity-item" [class.activity-warn]="warn(event.type)" [attr.data-event-type]="event.type">
                <span class="activity-text">{{ describe(event.type) }}</span>
                <span class="activity-meta">
                  <time [attr.datetime]="event.createdAt">{{ event.createdAt | date: 'medium' }}</time>
                  @for (part of meta(event); track $index) {
                    <span aria-hidden="true"> · </span><span>{{ part }}</span>
                  }
                </span>
              </li>
            }
          </ul>
          @if (list.length > visible().length) {
            <button type="button" class="btn btn-link" (click)="showAll.set(true)">Show all {{ list.length }} events</button>
          }
        }
      } @else {
        <p class="muted" aria-live="polite">Loading activity…</p>
      }
    </section>
  `,
})
export class SecurityActivity {
  private readonly auth = inject(AuthService);

  protected readonly events = signal<SecurityEvent[] | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly showAll = signal(false);
  protected readonly visible = computed(() => {
    const list = this.events() ?? [];
    return this.showAll() ? list : list.slice(0, INITIALLY_SHOWN);
  });

  protected readonly describe = describeSecurityEvent;
  protected readonly warn = isWarningEvent;
  protected readonly meta = eventMeta;

  constructor() {
    this.reload();
  }

  reload(): void {
    this.error.set(null);
    this.auth.securityEvents().subscribe({
      next: (res) => this.events.set(res.events ?? []),
      error: (err: unknown) => {
        const e = readApiError(err);
        this.error.set(
          e.code === 'TWOFA_SETUP_REQUIRED'
            ? 'Your security activity is available once two-factor authentication is on.'
            : `Could not load your security activity. ${e.message}`,
        );
      },
    });
  }
}
