import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterLink } from '@angular/router';
import { AuthService } from '../../core/auth/auth.service';
import { START_SETUP_PARAM } from '../../core/two-factor/setup-flow';

@Component({
  selector: 'app-dashboard-page',
  imports: [RouterLink],
  templateUrl: './dashboard.page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DashboardPage {
  protected readonly auth = inject(AuthService);
  /** `/profile?setup=start`: the profile starts two-factor setup on arrival. */
  protected readonly startSetup = { [START_SETUP_PARAM]: 'start' };

  constructor() {
    // The login answer may be older than the last change made elsewhere: ask the API again.
    this.auth.me().subscribe({ error: () => undefined });
  }
}
