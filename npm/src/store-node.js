// fileStore(dir): a client session kept in a folder, across restarts of the
// process (Node). One append-only file, `session.log`, in the layout of the
// core (src/mqtt/session_store.hpp): a snapshot followed by journals.
//
// When is what on disk?
// - append(): write(2) of the whole journal before the client writes the
//   bytes it protects. From then on a crash of the process (SIGKILL included)
//   loses nothing: the kernel has the data.
// - sync 'interval' (default): fdatasync(2) every `syncInterval` ms (1000)
//   when something was appended, off the main thread. A power cut or kernel
//   crash can lose what was appended since the last one: messages published
//   in that window may be lost or sent twice, an inbound QoS 2 message
//   received in it may be delivered twice.
// - sync 'always': fdatasync(2) after every append, before the bytes go out.
//   A power cut loses nothing; each drain waits for the disk.
// - sync 'os': never; the kernel writes back when it likes (about 30 s).
// - replace() (compaction, and once at every connect): the new log is
//   written to `session.log.tmp`, fsync'd, renamed over `session.log`, and
//   the folder fsync'd: the log is the old one or the new one, never a mix.
// A `lock` file holding the process id keeps two clients off one folder; a
// lock left by a process that died is taken over.
import fs from 'node:fs';
import path from 'node:path';
import { InvalidOptionError, StoreError } from './errors.js';

const SYNC_MODES = ['interval', 'always', 'os'];
const FILE_STORE_OPTIONS = ['sync', 'syncInterval', 'recover'];
const held = new Set(); // folders this process holds

function fail(code, message, cause) {
  return new StoreError(code, message, { cause });
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

class FileStore {
  constructor(dir, options) {
    this.kind = 'file';
    this.dir = path.resolve(dir);
    this.file = path.join(this.dir, 'session.log');
    this.recover = options.recover === true;
    this._sync = options.sync ?? 'interval';
    this._syncInterval = options.syncInterval ?? 1000;
    this._fd = null;
    this._size = 0;
    this._dirty = false;
    this._timer = null;
    this._locked = false;
  }

  _lock() {
    const lock = path.join(this.dir, 'lock');
    if (held.has(this.dir)) {
      throw fail('ERR_STORE_LOCKED', `${this.dir} is in use by another client of this process: end() it first, or give each client a folder of its own`);
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
        held.add(this.dir);
        this._locked = true;
        return;
      } catch (err) {
        if (err.code !== 'EEXIST') throw fail('ERR_STORE_READ', `cannot lock ${this.dir}: ${err.message}`, err);
      }
      const pid = Number.parseInt(fs.readFileSync(lock, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw fail('ERR_STORE_LOCKED', `${this.dir} is in use by process ${pid}: a session store serves one client at a time`);
      }
      fs.rmSync(lock, { force: true }); // left by a process that is gone
    }
    throw fail('ERR_STORE_LOCKED', `cannot take the lock of ${this.dir}`);
  }

  load() {
    try {
      fs.mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      throw fail('ERR_STORE_READ', `cannot create the store folder ${this.dir}: ${err.message}`, err);
    }
    this._lock();
    let data;
    try {
      data = fs.readFileSync(this.file);
    } catch (err) {
      if (err.code !== 'ENOENT') {
        this.close();
        throw fail('ERR_STORE_READ', `cannot read ${this.file}: ${err.message}`, err);
      }
      data = Buffer.alloc(0);
    }
    this._open();
    this._size = data.length;
    if (this._sync === 'interval') {
      this._timer = setInterval(() => this._flush(), this._syncInterval);
      this._timer.unref?.();
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  }

  _open() {
    try {
      this._fd = fs.openSync(this.file, 'a');
    } catch (err) {
      throw fail('ERR_STORE_WRITE', `cannot open ${this.file} for writing: ${err.message}`, err);
    }
  }

  _flush() {
    if (!this._dirty || this._fd === null) return;
    this._dirty = false;
    fs.fdatasync(this._fd, () => {}); // a closed or replaced fd: the next round syncs the new one
  }

  append(bytes) {
    if (this._fd === null) this._open();
    let written = 0;
    try {
      while (written < bytes.length) written += fs.writeSync(this._fd, bytes, written, bytes.length - written);
      if (this._sync === 'always') fs.fdatasyncSync(this._fd);
    } catch (err) {
      // Leave no partial entry behind: the next append must follow an intact one.
      try {
        fs.ftruncateSync(this._fd, this._size);
      } catch {
        // the restore cuts a torn tail anyway
      }
      const hint = err.code === 'ENOSPC' ? ' (the disk is full: free space and the client goes on)' : '';
      throw fail('ERR_STORE_WRITE', `cannot append to ${this.file}: ${err.message}${hint}`, err);
    }
    this._size += bytes.length;
    this._dirty = true;
  }

  replace(bytes) {
    const tmp = `${this.file}.tmp`;
    try {
      const fd = fs.openSync(tmp, 'w');
      try {
        let written = 0;
        while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      const hint = err.code === 'ENOSPC' ? ' (the disk is full)' : '';
      throw fail('ERR_STORE_WRITE', `cannot write ${this.file}: ${err.message}${hint}; the previous log is intact`, err);
    }
    try {
      const dirFd = fs.openSync(this.dir, 'r');
      fs.fsyncSync(dirFd);
      fs.closeSync(dirFd);
    } catch {
      // some file systems cannot fsync a folder; the rename is still atomic
    }
    if (this._fd !== null) fs.closeSync(this._fd);
    this._fd = null;
    this._open();
    this._size = bytes.length;
    this._dirty = false;
  }

  close() {
    if (this._timer !== null) clearInterval(this._timer);
    this._timer = null;
    if (this._fd !== null) {
      try {
        if (this._dirty && this._sync !== 'os') fs.fdatasyncSync(this._fd);
      } catch {
        // nothing more can be done here; what was written is in the kernel
      }
      fs.closeSync(this._fd);
      this._fd = null;
    }
    if (this._locked) {
      fs.rmSync(path.join(this.dir, 'lock'), { force: true });
      held.delete(this.dir);
      this._locked = false;
    }
  }

  /** Bytes in the log (tests, benchmarks). */
  get size() {
    return this._size;
  }
}

/**
 * @param {string} dir folder of the store (created if missing)
 * @param {{sync?: 'interval'|'always'|'os', syncInterval?: number, recover?: boolean}} [options]
 */
export function fileStore(dir, options = {}) {
  if (typeof dir !== 'string' || dir === '') {
    throw new InvalidOptionError('dir', 'fileStore(dir): dir must be the path of a folder (created if missing)');
  }
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'fileStore(dir, options): options must be an object');
  for (const key of Object.keys(options)) {
    if (!FILE_STORE_OPTIONS.includes(key)) {
      throw new InvalidOptionError(key, `fileStore: unknown option '${key}' (known: ${FILE_STORE_OPTIONS.join(', ')})`);
    }
  }
  if (options.sync !== undefined && !SYNC_MODES.includes(options.sync)) {
    throw new InvalidOptionError('sync', `fileStore: sync must be one of ${SYNC_MODES.map((m) => `'${m}'`).join(', ')} (got ${JSON.stringify(options.sync)})`);
  }
  const interval = options.syncInterval;
  if (interval !== undefined && (!Number.isInteger(interval) || interval < 1 || interval > 3_600_000)) {
    throw new InvalidOptionError('syncInterval', 'fileStore: syncInterval must be a whole number of milliseconds, 1 to 3600000');
  }
  if (options.recover !== undefined && typeof options.recover !== 'boolean') {
    throw new InvalidOptionError('recover', 'fileStore: recover must be true or false');
  }
  return new FileStore(dir, options);
}
