"""sandplot files: the files a cell created or changed in the working directory, sent back.

Part of the prelude module (wrap-code.ts joins prelude.py, figures.py, display.py, files.py and
chart.py). The working directory is the one the process was in when the prelude was first
installed (_state['base']). A watch keeps a snapshot of its regular files (size, mtime, inode),
hidden names and __pycache__ left out; the first use scans the tree once, and after that Linux
inotify says which paths were touched, so a cell costs a read of the event queue and a stat per
touched file, whatever the number of files. Where inotify is not there (or its queue overflowed,
or it ran out of watches) the tree is scanned again, bounded by max_entries.

Changes made between cells (files the host wrote) are taken into the snapshot when the next cell
starts, so only what the cell itself wrote is sent: each changed file once, at its final content,
in path order, within max_files, max_file_bytes and max_total_bytes; whatever is over a limit is a
problem naming the path. Symbolic links are never followed or sent.
"""

_IN_MODIFY = 0x2
_IN_ATTRIB = 0x4
_IN_CLOSE_WRITE = 0x8
_IN_MOVED_FROM = 0x40
_IN_MOVED_TO = 0x80
_IN_CREATE = 0x100
_IN_DELETE = 0x200
_IN_DELETE_SELF = 0x400
_IN_Q_OVERFLOW = 0x4000
_IN_IGNORED = 0x8000
_IN_ISDIR = 0x40000000
_IN_ONLYDIR = 0x1000000
_IN_DONT_FOLLOW = 0x2000000
_IN_NONBLOCK = 0o4000
_IN_CLOEXEC = 0o2000000
_WATCH_MASK = (_IN_MODIFY | _IN_ATTRIB | _IN_CLOSE_WRITE | _IN_MOVED_FROM | _IN_MOVED_TO | _IN_CREATE |
               _IN_DELETE | _IN_DELETE_SELF | _IN_ONLYDIR | _IN_DONT_FOLLOW)


# Files over maxFiles named in problems one by one; the rest are counted in one problem.
_NAMED_PROBLEMS = 20


def _skipped_name(name):
    return name.startswith('.') or name == '__pycache__'


class _Inotify:
    """A non-blocking inotify descriptor through libc, or nothing where there is none."""

    def __init__(self):
        import ctypes

        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), 'inotify_init1 failed')

    def watch(self, path):
        wd = self.libc.inotify_add_watch(self.fd, os.fsencode(path), _WATCH_MASK)
        return wd if wd >= 0 else None

    def events(self):
        """(wd, mask, name) of everything queued, without waiting."""
        import struct

        found = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return found
            if not data:
                return found
            offset = 0
            while offset + 16 <= len(data):
                wd, mask, _cookie, length = struct.unpack_from('iIII', data, offset)
                name = data[offset + 16:offset + 16 + length].split(b'\0', 1)[0]
                found.append((wd, mask, os.fsdecode(name)))
                offset += 16 + length

    def close(self):
        try:
            os.close(self.fd)
        except OSError:
            pass


class _FileWatch:
    def __init__(self, base, max_entries):
        self.base = base
        self.max_entries = max_entries
        self.snapshot = {}
        self.directories = {}
        self.inotify = None
        self.stale = True
        self.over_entries = False
        try:
            self.inotify = _Inotify()
        except Exception:
            self.inotify = None

    def changes(self):
        """Paths created or changed since the last call (all of them at the first), updating the
        snapshot; and whether the tree had more entries than max_entries."""
        if self.stale:
            return self._rescan()
        touched = set()
        for wd, mask, name in self.inotify.events():
            if mask & _IN_Q_OVERFLOW:
                return self._rescan()
            folder = self.directories.get(wd)
            if folder is None:
                continue
            if mask & (_IN_IGNORED | _IN_DELETE_SELF):
                self.directories.pop(wd, None)
                continue
            if _skipped_name(name) or name == '':
                continue
            path = folder + '/' + name if folder else name
            if mask & _IN_ISDIR:
                if mask & (_IN_CREATE | _IN_MOVED_TO):
                    # Files may be in it already: they were written before the watch existed.
                    found = {}
                    if not self._scan(path, found):
                        return self._rescan()
                    touched.update(found)
                elif mask & (_IN_DELETE | _IN_MOVED_FROM):
                    self._forget(path)
            else:
                touched.add(path)
        changed = []
        for path in sorted(touched):
            state = self._stat(path)
            if state is None:
                self.snapshot.pop(path, None)
            elif self.snapshot.get(path) != state:
                self.snapshot[path] = state
                changed.append(path)
        return changed

    def _rescan(self):
        before = self.snapshot
        self.snapshot = {}
        if self.inotify is not None:
            # Fresh watches for the new scan; the old descriptor's queue is dropped with it.
            self.inotify.close()
            try:
                self.inotify = _Inotify()
            except Exception:
                self.inotify = None
        self.directories = {}
        self.over_entries = False
        found = {}
        complete = self._scan('', found)
        self.snapshot = found
        self.stale = self.inotify is None or not complete
        return sorted(path for path, state in self.snapshot.items() if before.get(path) != state)

    def _scan(self, start, found):
        """Puts the files under `start` into `found` (path -> state), watching each folder; False
        when a watch could not be added (then inotify cannot be trusted for this tree)."""
        complete = True
        stack = [start]
        while stack:
            folder = stack.pop()
            full = os.path.join(self.base, folder) if folder else self.base
            if self.inotify is not None:
                wd = self.inotify.watch(full)
                if wd is None:
                    complete = False
                else:
                    self.directories[wd] = folder
            try:
                entries = os.scandir(full)
            except OSError:
                continue
            with entries:
                for entry in entries:
                    if _skipped_name(entry.name):
                        continue
                    if len(self.snapshot) + len(found) + len(stack) >= self.max_entries:
                        self.over_entries = True
                        return False
                    path = folder + '/' + entry.name if folder else entry.name
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(path)
                        elif entry.is_file(follow_symlinks=False):
                            info = entry.stat(follow_symlinks=False)
                            found[path] = (info.st_size, info.st_mtime_ns, info.st_ino)
                    except OSError:
                        pass
        return complete

    def _forget(self, folder):
        prefix = folder + '/'
        for path in [path for path in self.snapshot if path.startswith(prefix)]:
            del self.snapshot[path]

    def _stat(self, path):
        import stat

        try:
            info = os.lstat(os.path.join(self.base, path))
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        return (info.st_size, info.st_mtime_ns, info.st_ino)


def _file_watch(max_entries):
    base = _state['base']
    if base is None:
        return None
    watch = _state.get('files')
    if watch is None or watch.base != base:
        watch = _FileWatch(base, max_entries)
        _state['files'] = watch
    watch.max_entries = max_entries
    return watch


def _start_files(execution):
    """Takes what changed before the cell (the host's own writes) into the snapshot."""
    if execution.files is None:
        return
    watch = _file_watch(execution.files['maxEntries'])
    if watch is not None:
        watch.changes()


def _send_files(execution):
    """Sends the files the cell created or changed, within the limits."""
    limits = execution.files
    if limits is None:
        return
    watch = _file_watch(limits['maxEntries'])
    if watch is None:
        return
    changed = watch.changes()
    if watch.over_entries:
        execution.problem(None, 'the working directory has more than %d entries: files written in it were '
                          'not all looked for' % limits['maxEntries'])
    total = 0
    sent = 0
    over_count = []
    for path in changed:
        size = watch.snapshot.get(path, (0,))[0]
        if sent >= limits['maxFiles']:
            # Named one by one up to a point; a loop that wrote thousands gets one line for the rest.
            if len(over_count) < _NAMED_PROBLEMS:
                execution.file_problem(path, 'over maxFiles (%d): not collected' % limits['maxFiles'])
            over_count.append(path)
            continue
        if size > limits['maxFileBytes']:
            execution.file_problem(path, '%s, over maxFileBytes (%s): not collected' % (
                _size(size), _size(limits['maxFileBytes'])))
            continue
        if total + size > limits['maxTotalBytes']:
            execution.file_problem(path, 'the files of this call would be over maxTotalBytes (%s): not collected' %
                                   _size(limits['maxTotalBytes']))
            continue
        try:
            data = _read_regular_file(os.path.join(watch.base, path), limits['maxFileBytes'])
        except Exception as error:
            execution.file_problem(path, 'could not be read: %s' % _describe(error))
            continue
        total += len(data)
        sent += 1
        header = {'path': path, 'size': len(data)}
        if execution.transport == 'files':
            execution.emit('file-ref', header)
        else:
            execution.emit('file', header, data)
    if len(over_count) > _NAMED_PROBLEMS:
        execution.problem(None, '%d more files written by this call were not collected: over maxFiles (%d)' % (
            len(over_count) - _NAMED_PROBLEMS, limits['maxFiles']))


def _read_regular_file(path, limit):
    import stat

    # O_NOFOLLOW: a path the code turned into a link since the stat is not followed.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, 'O_CLOEXEC', 0) | getattr(os, 'O_NONBLOCK', 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError('not a regular file')
        chunks = []
        size = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b''.join(chunks)
            size += len(chunk)
            if size > limit:
                raise OSError('it grew over maxFileBytes while being read')
            chunks.append(chunk)
    finally:
        os.close(fd)
