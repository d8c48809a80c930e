import { ComponentRef } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { buttonByText } from '../../../../testing/test-utils';
import { BACKUP_CODES_FILENAME, BackupCodesPanel } from './backup-codes-panel';

const CODES = ['aaaa-bbbb', 'cccc-dddd', 'eeee-ffff'];

describe('BackupCodesPanel', () => {
  let fixture: ComponentFixture<BackupCodesPanel>;
  let ref: ComponentRef<BackupCodesPanel>;
  let el: HTMLElement;

  beforeEach(async () => {
    fixture = TestBed.createComponent(BackupCodesPanel);
    ref = fixture.componentRef;
    ref.setInput('codes', CODES);
    ref.setInput('email', 'ada@example.com');
    el = fixture.nativeElement;
    await fixture.whenStable();
  });

  afterEach(() => vi.restoreAllMocks());

  it('lists each code in an <li> and takes focus', () => {
    const list = el.querySelector('[data-testid="backup-codes"]')!;
    expect(Array.from(list.querySelectorAll('li')).map((li) => li.textContent?.trim())).toEqual(CODES);
    expect(document.activeElement?.tagName).toBe('H3');
  });

  it('copies the codes, one per line', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    buttonByText(el, 'Copy codes').click();
    await fixture.whenStable();
    expect(writeText).toHaveBeenCalledWith('aaaa-bbbb\ncccc-dddd\neeee-ffff');
    expect(el.querySelector('[role="status"]')?.textContent).toContain('Backup codes copied.');
  });

  it('downloads a .txt file with the codes', async () => {
    let blob: Blob | undefined;
    const createObjectURL = vi.fn((b: Blob) => {
      blob = b;
      return 'blob:codes';
    });
    Object.defineProperty(URL, 'createObjectURL', { value: createObjectURL, configurable: true });
    Object.defineProperty(URL, 'revokeObjectURL', { value: vi.fn(), configurable: true });
    let downloaded: HTMLAnchorElement | undefined;
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      downloaded = this;
    });

    buttonByText(el, 'Download .txt').click();
    await fixture.whenStable();
    expect(downloaded?.download).toBe(BACKUP_CODES_FILENAME);
    expect(downloaded?.href).toBe('blob:codes');
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(blob!);
    });
    expect(text).toContain('TwoFA backup codes for ada@example.com');
    for (const code of CODES) expect(text).toContain(`\n${code}\n`);
    expect(blob!.type).toContain('text/plain');
  });

  it('"I saved them" acknowledges', () => {
    let acknowledged = 0;
    fixture.componentInstance.acknowledged.subscribe(() => acknowledged++);
    buttonByText(el, 'I saved them').click();
    expect(acknowledged).toBe(1);
  });
});
