import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { rateLimitText, readApiError } from '../../core/auth/api-error';
import { ENROLMENT_LINK_TEXT, EnrolmentLink } from '../../core/two-factor/enrolment-link';

/**
 * After an admin reset, without the emailed link on this browser: where the link is, and
 * "Send the link again" (POST /auth/2fa/enrolment-link). Rule 20.
 */
@Component({
  selector: 'app-enrolment-link-notice',
  template: `
    <div class="notice" role="status" data-testid="enrolment-link-notice">
      <p>{{ text }}</p>
      <button type="button" class="btn btn-small" (click)="sendAgain()" [disabled]="busy()" [attr.aria-busy]="busy()">Send the link again</button>
      @if (sent(); as message) {
        <p class="status-text" aria-live="polite">{{ message }}</p>
      }
      @if (error(); as message) {
        <p class="form-error" role="alert">{{ message }}</p>
      }
    </div>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class EnrolmentLinkNotice {
  private readonly enrolment = inject(EnrolmentLink);
  protected readonly text = ENROLMENT_LINK_TEXT;
  protected readonly busy = signal(false);
  protected readonly sent = signal<string | null>(null);
  protected readonly error = signal<string | null>(null);

  protected sendAgain(): void {
    if (this.busy()) return;
    this.busy.set(true);
    this.sent.set(null);
    this.error.set(null);
    this.enrolment.sendAgain().subscribe({
      next: () => {
        this.busy.set(false);
        this.sent.set('A new link is on its way: check your email, and open it on this browser.');
      },
      error: (err: unknown) => {
        this.busy.set(false);
        const e = readApiError(err);
        this.error.set(e.status === 429 ? rateLimitText(e, 'requests for a link') : e.message);
      },
    });
  }
}
