import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterLink } from '@angular/router';
import { SessionStore } from '../../core/auth/session.store';
import { START_SETUP_PARAM } from '../../core/two-factor/setup-flow';

@Component({
  selector: 'app-dashboard-page',
  imports: [RouterLink],
  templateUrl: './dashboard.page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DashboardPage {
  protected readonly session = inject(SessionStore);
  /** `/profile?setup=start`: the profile starts two-factor setup on arrival. */
  protected readonly startSetup = { [START_SETUP_PARAM]: 'start' };

  constructor() {
    // The login answer may be older than the last change made elsewhere: ask the API again.
    this.session.me().subscribe({ error: () => undefined });
  }
}
