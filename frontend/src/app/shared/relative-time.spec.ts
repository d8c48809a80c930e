import { relativeTime } from './relative-time';

describe('relativeTime', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');

  it.each([
    ['2026-11-25T11:59:30Z', 'just now'],
    ['2026-11-25T12:00:40Z', 'just now'],
    ['2026-11-25T11:59:00Z', '1 minute ago'],
    ['2026-11-25T11:35:00Z', '25 minutes ago'],
    ['2026-11-25T09:00:00Z', '3 hours ago'],
    ['2026-11-24T11:00:00Z', 'yesterday'],
    ['2026-11-15T12:00:00Z', '10 days ago'],
    ['2026-12-20T12:00:00Z', 'in 25 days'],
  ])('%s reads "%s"', (iso, text) => {
    expect(relativeTime(iso, now)).toBe(text);
  });

  it('is empty for a missing or unreadable date', () => {
    expect(relativeTime(null, now)).toBe('');
    expect(relativeTime('not a date', now)).toBe('');
  });
});
