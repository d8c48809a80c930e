import { ChangeDetectionStrategy, Component, inject, signal, viewChild } from '@angular/core';
import { TrustedDevice } from '../../core/auth/api.types';
import { SessionStore } from '../../core/auth/session.store';
import { EnrolmentLink } from '../../core/two-factor/enrolment-link';
import { ChangePasswordCard } from '../change-password/change-password-card';
import { SecurityActivity } from './activity/security-activity';
import { EnrolmentLinkNotice } from './enrolment-link-notice';
import { PasskeysCard } from './passkeys/passkeys-card';
import { SessionsCard } from './sessions/sessions-card';
import { TotpSetupStore } from './totp-setup/totp-setup.store';
import { TrustedDevicesCard } from './trusted-devices/trusted-devices-card';
import { TwoFactorOverview } from './two-factor-overview/two-factor-overview';
import { TwoFactorStatusStore } from './two-factor-status.store';

/** /profile: the two-factor and passkeys cards, then the password, sessions, remembered devices and activity cards. */
@Component({
  selector: 'app-profile-page',
  imports: [EnrolmentLinkNotice, TwoFactorOverview, PasskeysCard, ChangePasswordCard, SessionsCard, TrustedDevicesCard, SecurityActivity],
  providers: [TwoFactorStatusStore, TotpSetupStore],
  templateUrl: './profile.page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ProfilePage {
  protected readonly session = inject(SessionStore);
  protected readonly status = inject(TwoFactorStatusStore);
  protected readonly enrolment = inject(EnrolmentLink);

  private readonly activity = viewChild(SecurityActivity);
  private readonly sessions = viewChild(SessionsCard);
  private readonly devices = viewChild(TrustedDevicesCard);
  private readonly passkeys = viewChild(PasskeysCard);

  /** This browser's remembered-device entry (it skips the code step), from the devices card. */
  protected readonly rememberedHere = signal<TrustedDevice | null>(null);

  protected reloadActivity(): void {
    this.activity()?.reload();
  }

  /** Adding or removing a factor, new backup codes and a new password end every other session and remembered device (DESIGN.md §4). */
  protected reloadLists(): void {
    if (!this.status.enabled()) {
      this.rememberedHere.set(null);
      this.passkeys()?.reload(); // turning 2FA off removed every passkey
    }
    this.activity()?.reload();
    this.sessions()?.reload();
    if (this.status.enabled()) this.devices()?.reload(); // after "disable" the card goes away
  }
}
