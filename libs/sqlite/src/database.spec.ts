import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Database, { sqliteDriverFor } from '@medrec/sqlite';

/**
 * Prepares statements it drops at once, between allocations that keep the garbage collector busy,
 * so that statements are freed by collections V8 finishes outside any JavaScript callback: what
 * aborted Node 24 with better-sqlite3 12 (in a tenth of a second) and what every server, CLI
 * command and test run does over time.
 */
const STATEMENT_CHURN = `
const Database = require(process.argv[1]);
const db = new Database(':memory:');
let rounds = 0;
const timer = setInterval(() => {
  for (let i = 0; i < 2000; i++) db.prepare('select ?').get(i);
  const garbage = [];
  for (let i = 0; i < 1e5; i++) garbage.push({ i });
  if (++rounds === 40) { clearInterval(timer); db.close(); console.log('survived'); }
}, 10);
`;

describe('the SQLite driver', () => {
  it('is better-sqlite3 13 from Node-API 10 on (Node 22.14, 24), 12 before it (Node 20)', () => {
    expect(sqliteDriverFor('9')).toBe('better-sqlite3');
    expect(sqliteDriverFor('10')).toBe('better-sqlite3-13');
    expect(sqliteDriverFor('11')).toBe('better-sqlite3-13');
    expect(sqliteDriverFor(undefined)).toBe('better-sqlite3');
  });

  it('opens, writes and reads on this runtime', () => {
    const db = new Database(':memory:');
    db.exec('create table t (id integer primary key, name text)');
    const insert: Database.Statement<[string]> = db.prepare('insert into t (name) values (?)');
    expect(insert.run('a').lastInsertRowid).toBe(1);
    expect(db.prepare('select name from t').pluck().all()).toEqual(['a']);
    db.close();
  });

  it('survives the garbage collector freeing statements between callbacks on this runtime', async () => {
    const driver = require.resolve(sqliteDriverFor(process.versions.napi));
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', STATEMENT_CHURN, driver], { timeout: 20_000 });
    expect(stdout.trim()).toBe('survived');
  });
});
