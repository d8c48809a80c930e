import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, DestroyRef, computed, effect, inject, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { SessionStore } from '../../core/auth/session.store';
import { START_SETUP_PARAM } from '../../core/two-factor/setup-flow';

/** "2 days 3 hours", "5 hours 10 minutes", "12 minutes", "less than a minute". */
export function formatTimeLeft(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'less than a minute';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const part = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (days > 0) return hours > 0 ? `${part(days, 'day')} ${part(hours, 'hour')}` : part(days, 'day');
  if (hours > 0) return mins > 0 ? `${part(hours, 'hour')} ${part(mins, 'minute')}` : part(hours, 'hour');
  return part(mins, 'minute');
}

/**
 * The banner of issue 14's enforcement: when this account must use two-factor authentication
 * (its role, or an admin reset), how long it may still work without it, and a link to set it up.
 */
@Component({
  selector: 'app-two-factor-banner',
  imports: [RouterLink, DatePipe],
  template: `
    @if (requirement(); as r) {
      <div class="banner" [class.banner-blocked]="r.blocked" role="status" data-testid="twofa-banner">
        <p>
          @if (r.blocked) {
            <strong>Set up two-factor authentication to continue.</strong>
            {{ r.reason === 'admin_reset' ? 'An administrator reset it on your account.' : 'Your account is required to use it, and the grace period is over.' }}
          } @else {
            <strong>Your account must use two-factor authentication.</strong>
            Set it up within <span data-testid="twofa-time-left">{{ timeLeft() }}</span> (by {{ r.deadline | date: 'medium' }}); after
            that, only the setup will be available.
          }
          <a [routerLink]="['/profile']" [queryParams]="setupParams">Set it up now</a>
        </p>
      </div>
    }
  `,
  styles: `
    .banner { background: #fff6db; border: 1px solid #e8c65a; border-radius: 8px; padding: 0.75rem 1rem; margin: 1rem 0; }
    .banner-blocked { background: #fde8e8; border-color: #e39a9a; }
    .banner p { margin: 0; }
    .banner a { margin-left: 0.35rem; font-weight: 600; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TwoFactorBanner {
  private readonly session = inject(SessionStore);
  private readonly now = signal(Date.now());
  private askedFor: string | null = null;
  protected readonly setupParams = { [START_SETUP_PARAM]: 'start' };

  protected readonly requirement = computed(() => {
    const user = this.session.user();
    return user && !user.twoFactorEnabled ? (user.twoFactorRequirement ?? null) : null;
  });

  protected readonly timeLeft = computed(() => {
    const deadline = this.requirement()?.deadline;
    return deadline ? formatTimeLeft(new Date(deadline).getTime() - this.now()) : '';
  });

  constructor() {
    // A login answer does not carry the requirement: ask /auth/me once per signed-in user.
    effect(() => {
      const user = this.session.user();
      if (!user || user.twoFactorEnabled || user.twoFactorRequirement !== undefined || this.askedFor === user.id) return;
      this.askedFor = user.id;
      this.session.me().subscribe({ error: () => undefined });
    });
    const timer = setInterval(() => this.now.set(Date.now()), 30_000);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }
}
