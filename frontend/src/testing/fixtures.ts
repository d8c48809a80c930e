import { ActiveSession, SecurityEvent, TrustedDevice } from '../app/core/auth/api.types';

/** Test data shaped like the API's answers (DESIGN.md §5, notes/CONTRACT.md). */
export function aSession(overrides: Partial<ActiveSession> = {}): ActiveSession {
  return {
    id: 's1',
    current: false,
    createdAt: '2026-11-25T08:00:00Z',
    lastSeenAt: '2026-11-25T09:00:00Z',
    ip: '203.0.113.9',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36',
    device: 'Chrome on Linux',
    authMethod: 'totp',
    ...overrides,
  };
}

export function aTrustedDevice(overrides: Partial<TrustedDevice> = {}): TrustedDevice {
  return {
    id: 'd1',
    current: false,
    createdAt: '2026-11-20T08:00:00Z',
    lastUsedAt: '2026-11-24T08:00:00Z',
    expiresAt: '2026-12-20T08:00:00Z',
    ip: '198.51.100.7',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
    device: 'Firefox on Linux',
    ...overrides,
  };
}

export function anEvent(overrides: Partial<SecurityEvent> = {}): SecurityEvent {
  return {
    id: 'e1',
    type: 'LOGIN_SUCCESS',
    ip: '127.0.0.1',
    userAgent: null,
    createdAt: '2026-11-25T08:00:00Z',
    detail: null,
    ...overrides,
  };
}
