import { FormControl, FormGroup, Validators } from '@angular/forms';
import { describedBy, rejectInvalidForm, selectSecondFactor, showControlError } from './form-state';

describe('form-state', () => {
  it('shows a control error once submitted, or once left with something typed; never when disabled', () => {
    const control = new FormControl('', { nonNullable: true, validators: [Validators.required, Validators.minLength(3)] });
    expect(showControlError(control, false)).toBe(false);
    expect(showControlError(control, true)).toBe(true);
    control.markAsTouched();
    // leaving an empty field says nothing yet (no layout shift under the next click)
    expect(showControlError(control, false)).toBe(false);
    control.setValue('ab');
    expect(showControlError(control, false)).toBe(true);
    control.disable();
    expect(showControlError(control, true)).toBe(false);
  });

  it('rejects an invalid form: marks it touched and focuses the first invalid input', () => {
    const form = new FormGroup({ a: new FormControl('', Validators.required) });
    const host = document.createElement('div');
    host.innerHTML = '<input class="ng-valid" /><input id="bad" class="ng-invalid" />';
    document.body.append(host);
    expect(rejectInvalidForm(form, host)).toBe(true);
    expect(form.controls.a.touched).toBe(true);
    expect(document.activeElement?.id).toBe('bad');
    form.controls.a.setValue('ok');
    expect(rejectInvalidForm(form, host)).toBe(false);
    host.remove();
  });

  it('links the hint and the visible error', () => {
    expect(describedBy('x', false, false)).toBeNull();
    expect(describedBy('x', true, false)).toBe('x-hint');
    expect(describedBy('x', false, true)).toBe('x-error');
    expect(describedBy('x', true, true)).toBe('x-hint x-error');
  });

  it('selectSecondFactor clears both fields and enables only the chosen one', () => {
    const controls = { code: new FormControl('123456'), backupCode: new FormControl('abcd-efgh') };
    selectSecondFactor(controls, 'backup');
    expect([controls.code.value, controls.backupCode.value]).toEqual([null, null]);
    expect([controls.code.enabled, controls.backupCode.enabled]).toEqual([false, true]);
    selectSecondFactor(controls, 'code');
    expect([controls.code.enabled, controls.backupCode.enabled]).toEqual([true, false]);
  });
});
