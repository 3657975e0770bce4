import assert from 'node:assert/strict';
import { test } from 'node:test';
import { caPaths, mkcertCaroot, tlsdockHome } from '../../src/store/home.js';

test('TLSDOCK_HOME wins; otherwise the platform data folder', () => {
  assert.equal(tlsdockHome({ TLSDOCK_HOME: '/srv/ca', HOME: '/home/a' }, 'linux'), '/srv/ca');
  assert.equal(tlsdockHome({ HOME: '/home/a' }, 'linux'), '/home/a/.local/share/tlsdock');
  assert.equal(tlsdockHome({ HOME: '/home/a', XDG_DATA_HOME: '/x' }, 'linux'), '/x/tlsdock');
  assert.equal(tlsdockHome({ HOME: '/Users/a' }, 'darwin'), '/Users/a/Library/Application Support/tlsdock');
  assert.match(tlsdockHome({ HOME: 'C:\\Users\\a', LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }, 'win32'), /AppData.Local.tlsdock$/);
  assert.equal(mkcertCaroot({ HOME: '/home/a' }, 'linux'), '/home/a/.local/share/mkcert');
  assert.equal(mkcertCaroot({ CAROOT: '/c', HOME: '/home/a' }, 'linux'), '/c');
  assert.deepEqual(caPaths('/h'), { dir: '/h', cert: '/h/ca.pem', key: '/h/ca-key.pem' });
});
