/**
 * Opening and closing a modal <dialog>. jsdom (unit tests) and old browsers may lack showModal():
 * then the `open` attribute alone shows it.
 */
export function showDialog(dialog: HTMLDialogElement): void {
  if (typeof dialog.showModal === 'function') {
    if (!dialog.open) dialog.showModal();
  } else {
    dialog.setAttribute('open', '');
  }
}

/** Fires the dialog's "close" event where close() exists. */
export function closeDialog(dialog: HTMLDialogElement): void {
  if (typeof dialog.close === 'function') dialog.close();
  else dialog.removeAttribute('open');
}
