import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { ClockDriftNotice, clockDriftText } from '../../core/auth/clock-drift';

/** The one-time notice after a login whose refused codes showed the phone's clock is off (rule 19). */
@Component({
  selector: 'app-clock-drift-notice',
  template: `
    @if (text(); as message) {
      <div class="notice notice-dismissible" role="status" data-testid="clock-drift-notice">
        <p>{{ message }}</p>
        <button type="button" class="btn btn-small" (click)="notice.dismiss()">Dismiss</button>
      </div>
    }
  `,
  styles: `
    .notice-dismissible { display: flex; gap: 0.75rem; align-items: center; justify-content: space-between; flex-wrap: wrap; }
    .notice-dismissible p { margin: 0; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ClockDriftNoticeBanner {
  protected readonly notice = inject(ClockDriftNotice);
  protected readonly text = computed(() => {
    const drift = this.notice.driftSeconds();
    return drift === null ? null : clockDriftText(drift);
  });
}
