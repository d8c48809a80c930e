import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterNextRender,
  computed,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { copyText, downloadTextFile } from '../../../shared/download';

export const BACKUP_CODES_FILENAME = 'twofa-backup-codes.txt';

@Component({
  selector: 'app-backup-codes-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="backup-panel">
      <h3 #heading tabindex="-1">Save your backup codes</h3>
      <p>
        @if (reason() === 'enabled') {
          Two-factor authentication is on.
        } @else {
          Your new backup codes are ready; the old ones no longer work.
        }
        If you lose your phone, each code lets you log in once.
        <strong>Keep them somewhere safe: they will not be shown again.</strong>
      </p>
      <ol class="backup-codes" data-testid="backup-codes">
        @for (code of codes(); track $index) {
          <li><code>{{ code }}</code></li>
        }
      </ol>
      <div class="actions">
        <button type="button" class="btn" (click)="copy()">Copy codes</button>
        <button type="button" class="btn" (click)="download()">Download .txt</button>
      </div>
      <p class="status-text" role="status" aria-live="polite">{{ status() }}</p>
      <button type="button" class="btn btn-primary" (click)="acknowledged.emit()">I saved them</button>
    </div>
  `,
})
export class BackupCodesPanel {
  readonly codes = input.required<string[]>();
  readonly email = input<string>('');
  readonly reason = input<'enabled' | 'regenerated'>('enabled');
  readonly acknowledged = output<void>();

  private readonly heading = viewChild.required<ElementRef<HTMLElement>>('heading');
  protected readonly status = signal('');

  /** The .txt file: a short explanation, then one code per line. */
  readonly fileText = computed(() => {
    const who = this.email() ? ` for ${this.email()}` : '';
    return [
      `TwoFA backup codes${who}`,
      `Created ${new Date().toISOString()}`,
      'Each code can be used once instead of an authentication code.',
      '',
      ...this.codes(),
      '',
    ].join('\n');
  });

  constructor() {
    afterNextRender(() => this.heading().nativeElement.focus());
  }

  protected async copy(): Promise<void> {
    const ok = await copyText(this.codes().join('\n'));
    this.status.set(ok ? 'Backup codes copied.' : 'Copying is not available here: download the codes or write them down.');
  }

  protected download(): void {
    downloadTextFile(BACKUP_CODES_FILENAME, this.fileText());
    this.status.set(`Downloaded ${BACKUP_CODES_FILENAME}.`);
  }
}
