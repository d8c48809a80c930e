import { ChangeDetectionStrategy, Component, ElementRef, inject, viewChild } from '@angular/core';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { AUTH_MESSAGES, SessionStore } from './core/auth/session.store';
import { SessionsApi } from './core/sessions/sessions.api';
import { ClockDriftNoticeBanner } from './features/enforcement/clock-drift-notice';
import { TwoFactorBanner } from './features/enforcement/two-factor-banner';

@Component({
  selector: 'app-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, TwoFactorBanner, ClockDriftNoticeBanner],
  templateUrl: './app.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class App {
  protected readonly session = inject(SessionStore);
  private readonly sessions = inject(SessionsApi);
  private readonly router = inject(Router);
  private readonly main = viewChild.required<ElementRef<HTMLElement>>('main');

  protected skipToContent(): void {
    this.main().nativeElement.focus();
  }

  protected logout(): void {
    this.sessions.logout().subscribe(() => {
      this.session.setNotice(AUTH_MESSAGES.loggedOut);
      void this.router.navigateByUrl('/login');
    });
  }
}
