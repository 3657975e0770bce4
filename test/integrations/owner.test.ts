import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyOwner, resolveOwner } from '../../src/integrations/owner.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

after(cleanupTmpDirs);

const dir = makeTmpDir();
const passwd = join(dir, 'passwd');
const group = join(dir, 'group');
writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\njovyan:x:1000:100::/home/jovyan:/bin/bash\n# comment\nsvc:x:1001:1001::/:/usr/sbin/nologin\n');
writeFileSync(group, 'root:x:0:\nusers:x:100:\nsvc:x:1001:\nnotebook:x:2000:jovyan\n');
const files = { passwd, group };

test('names resolve through the container\'s passwd/group; a bare user keeps the group (like chown)', () => {
  assert.deepEqual(resolveOwner('jovyan', files), { uid: 1000, gid: undefined, spec: 'jovyan' });
  assert.deepEqual(resolveOwner('jovyan:', files), { uid: 1000, gid: 100, spec: 'jovyan:' });
  assert.deepEqual(resolveOwner('jovyan:notebook', files), { uid: 1000, gid: 2000, spec: 'jovyan:notebook' });
  assert.deepEqual(resolveOwner('svc:users', files), { uid: 1001, gid: 100, spec: 'svc:users' });
});

test('numeric ids need no passwd entry (volumes are shared by uid)', () => {
  assert.deepEqual(resolveOwner('1000', files), { uid: 1000, gid: undefined, spec: '1000' });
  assert.deepEqual(resolveOwner('4242:4343', files), { uid: 4242, gid: 4343, spec: '4242:4343' });
  assert.deepEqual(resolveOwner('1000:', files), { uid: 1000, gid: 100, spec: '1000:' });
});

test('unknown users, groups and malformed specs are one clear sentence', () => {
  assert.throws(() => resolveOwner('nobody-here', files), /no user "nobody-here"/);
  assert.throws(() => resolveOwner('jovyan:nogroup', files), /no group "nogroup"/);
  assert.throws(() => resolveOwner('4242:', files), /no login group/);
  assert.throws(() => resolveOwner(':100', files), (e: Error & { code?: string }) => e.code === 'usage');
  assert.throws(() => resolveOwner('a:b:c', files), (e: Error & { code?: string }) => e.code === 'usage');
});

test('applyOwner chowns as root', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
  const f = join(dir, 'key.pem');
  writeFileSync(f, 'x');
  chmodSync(f, 0o600);
  applyOwner(f, { uid: 1000, gid: 100, spec: '1000:100' });
  assert.deepEqual([statSync(f).uid, statSync(f).gid], [1000, 100]);
  applyOwner(f, { uid: 1001, spec: '1001' });
  assert.deepEqual([statSync(f).uid, statSync(f).gid], [1001, 100], 'a bare uid keeps the group');
});

test('as a non-root user, giving a file away fails with a sentence that says why', { skip: process.getuid?.() !== 0 && 'needs root to start a uid-1000 child' }, () => {
  const f = join(dir, 'mine.pem');
  writeFileSync(f, 'x');
  chownSync(dir, 1000, 1000);
  chownSync(f, 1000, 1000);
  const script = `import { applyOwner } from ${JSON.stringify(new URL('../../src/integrations/owner.ts', import.meta.url).href)};
    try { applyOwner(${JSON.stringify(f)}, { uid: 0, spec: 'root' }); console.log('no error'); } catch (e) { console.log(e.code + ': ' + e.message); }`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { uid: 1000, gid: 1000, encoding: 'utf8', env: { ...process.env, HOME: dir } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^unwritable: Cannot give .*mine\.pem to root: only root can change a file's owner, and tlsdock runs as uid 1000\./);
  assert.equal(statSync(f).uid, 1000);
});
