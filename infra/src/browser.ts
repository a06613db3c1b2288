import { requireBinary } from './prerequisites';

// The browser tests (app/) drive Debian's Chromium with playwright-core. Like the servers, it is
// installed by the project's own set-up when missing (as root), and its path handed to the tests.

export const CHROMIUM_VARIABLE = 'BANK_CHROMIUM';

export function requireChromium(): string {
  return requireBinary({ component: 'browser tests', executable: 'chromium', debianPackage: 'chromium' });
}
