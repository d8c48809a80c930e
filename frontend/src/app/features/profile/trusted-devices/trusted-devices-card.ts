import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, output, signal } from '@angular/core';
import { readApiError } from '../../../core/auth/api-error';
import { TrustedDevice } from '../../../core/auth/api.types';
import { TrustedDevicesApi } from '../../../core/trusted-devices/trusted-devices.api';
import { relativeTime } from '../../../shared/relative-time';

/**
 * "Remembered devices": browsers that skip the code step for 30 days (GET /auth/trusted-devices),
 * each with "Forget". Tells its parent whether this browser is one of them (`thisBrowserChange`).
 */
@Component({
  selector: 'app-trusted-devices-card',
  imports: [DatePipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="card" aria-labelledby="devices-title" data-testid="trusted-devices-card">
      <h2 id="devices-title">Remembered devices</h2>
      <p>
        When you tick “Remember this device for 30 days” at the code step, that browser logs in with your password
        only. Forget any device you no longer use or don’t recognise: it will ask for a code again.
      </p>

      @if (loadError(); as message) {
        <p class="form-error" role="alert">{{ message }}</p>
        <button type="button" class="btn" (click)="reload()">Try again</button>
      } @else if (devices(); as list) {
        @if (list.length === 0) {
          <p class="muted" data-testid="trusted-devices-empty">No remembered devices: every login asks for a code.</p>
        } @else {
          <ul class="item-list" data-testid="trusted-devices" aria-labelledby="devices-title">
            @for (device of list; track device.id) {
              <li class="item" data-testid="trusted-device" [attr.data-device-id]="device.id" [attr.data-current]="device.current">
                <div class="item-body">
                  <p class="item-title">
                    <span>{{ device.device }}</span>
                    @if (device.current) {
                      <span class="badge badge-on" data-testid="current-device">This browser</span>
                    }
                  </p>
                  <dl class="facts item-facts">
                    <dt>IP address</dt>
                    <dd>{{ device.ip || 'Unknown' }}</dd>
                    <dt>Remembered</dt>
                    <dd><time [attr.datetime]="device.createdAt">{{ device.createdAt | date: 'medium' }}</time></dd>
                    <dt>Last used</dt>
                    <dd>
                      @if (device.lastUsedAt) {
                        <time [attr.datetime]="device.lastUsedAt" [attr.title]="device.lastUsedAt | date: 'medium'">{{
                          ago(device.lastUsedAt)
                        }}</time>
                      } @else {
                        Not yet
                      }
                    </dd>
                    <dt>Expires</dt>
                    <dd><time [attr.datetime]="device.expiresAt">{{ device.expiresAt | date: 'mediumDate' }}</time></dd>
                  </dl>
                </div>
                <button
                  type="button"
                  class="btn btn-small btn-danger-outline"
                  (click)="forget(device)"
                  [disabled]="busy()"
                  [attr.aria-busy]="pendingId() === device.id"
                  [attr.aria-label]="forgetLabel(device)"
                >
                  Forget
                </button>
              </li>
            }
          </ul>
        }
      } @else {
        <p class="muted" aria-live="polite">Loading remembered devices…</p>
      }

      @if (error(); as message) {
        <p class="form-error" role="alert">{{ message }}</p>
      }
      <p class="status-text" role="status" aria-live="polite" data-testid="trusted-devices-status">{{ status() }}</p>
    </section>
  `,
})
export class TrustedDevicesCard {
  private readonly api = inject(TrustedDevicesApi);

  /** This browser's entry whenever the list changes (null: this browser is not remembered). */
  readonly thisBrowserChange = output<TrustedDevice | null>();

  protected readonly devices = signal<TrustedDevice[] | null>(null);
  protected readonly loadError = signal<string | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly status = signal('');
  protected readonly pendingId = signal<string | null>(null);
  protected readonly busy = computed(() => this.pendingId() !== null);

  protected readonly ago = (iso: string) => relativeTime(iso) || 'Unknown';

  constructor() {
    this.reload();
  }

  /** Fetches the list again (after a change that forgot every device). */
  reload(): void {
    this.loadError.set(null);
    this.api.list().subscribe({
      next: (list) => this.set(list),
      error: (err: unknown) => {
        const e = readApiError(err);
        this.loadError.set(
          e.code === 'TWOFA_SETUP_REQUIRED'
            ? 'Remembered devices are listed once two-factor authentication is on.'
            : `Could not load your remembered devices. ${e.message}`,
        );
      },
    });
  }

  protected forgetLabel(device: TrustedDevice): string {
    const where = device.ip ? `${device.device}, ${device.ip}` : device.device;
    return device.current ? `Forget this browser (${where})` : `Forget ${where}`;
  }

  protected forget(device: TrustedDevice): void {
    if (this.busy()) return;
    this.pendingId.set(device.id);
    this.error.set(null);
    this.status.set('');
    this.api.forget(device.id).subscribe({
      next: () => this.forgotten(device, false),
      error: (err: unknown) => {
        const e = readApiError(err);
        if (e.status === 404) {
          this.forgotten(device, true);
          return;
        }
        this.pendingId.set(null);
        this.error.set(`Could not forget ${device.device}. ${e.message}`);
      },
    });
  }

  private forgotten(device: TrustedDevice, alreadyGone: boolean): void {
    this.pendingId.set(null);
    this.set((this.devices() ?? []).filter((d) => d.id !== device.id));
    const what = device.current ? 'This browser' : device.device;
    this.status.set(
      alreadyGone
        ? `${what} was no longer remembered.`
        : `${what} is forgotten: its next login will ask for a code.`,
    );
  }

  private set(list: TrustedDevice[]): void {
    this.devices.set(list);
    this.thisBrowserChange.emit(list.find((d) => d.current) ?? null);
  }
}
