# sandplot local server: one long-lived Python process per session, inside the sandbox.
#
# Node talks to it with line-delimited JSON: requests on fd 3, replies on fd 4. The user's code
# writes to fd 1 and 2 (pipes to Node), so nothing it prints can be mistaken for a reply. After
# each cell the server writes the run's end token to fd 1 and fd 2, which tells Node that all
# output of the run has arrived. This module runs in its own namespace; the user's code runs in
# `__main__`, like `python -c`.

import base64
import json
import os
import signal
import stat
import sys
import traceback
import types

CELL_FILENAME = '<string>'  # the same as `python -c`, so tracebacks look alike in every backend
SERVER_FILENAME = '<sandplot-server>'  # the name Node compiles this source under
PRELUDE_FILENAME = '<sandplot-prelude>'  # the capture prelude's (src/capture/wrap-code.ts)


def _take_fd(fd):
    # Python makes dup()ed descriptors non-inheritable: subprocesses the user starts never see
    # the control channel.
    copy = os.dup(fd)
    os.close(fd)
    return copy


_requests = os.fdopen(_take_fd(3), 'rb', buffering=1 << 16)
_replies_fd = _take_fd(4)
# The user may close or redirect fd 1 and 2; the end tokens still go down the same pipes.
_stdout_fd = os.dup(1)
_stderr_fd = os.dup(2)

_main = sys.modules['__main__']
# running: the user's code is executing. in_request: a request was read and is being handled;
# a SIGINT then belongs to it (Node only interrupts a run it is waiting for), even when it
# arrives before the code started.
_state = {'running': False, 'in_request': False, 'interrupt_pending': False}


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


# A multiple of 3: the base64 of each piece joins with the next one's without padding.
_CONTENT_PIECE_BYTES = 3 << 20


def _reply(message):
    content = message.pop('content', None) if isinstance(message.get('content'), bytes) else None
    head = json.dumps(message, separators=(',', ':')).encode('utf-8')
    if content is None:
        _write_all(_replies_fd, head + b'\n')
        return
    # File bytes go out as base64 piece by piece: the host sees a large reply start at once (its
    # deadline grows with the bytes that arrive) and no encoded copy of the whole file is made.
    _write_all(_replies_fd, head[:-1] + b',"content":"')
    view = memoryview(content)
    for start in range(0, len(view), _CONTENT_PIECE_BYTES):
        _write_all(_replies_fd, base64.b64encode(view[start:start + _CONTENT_PIECE_BYTES]))
    _write_all(_replies_fd, b'"}\n')


def _on_sigint(signum, frame):
    # A SIGINT that arrives between cells (a late timeout) must not kill the session.
    if _state['running']:
        raise KeyboardInterrupt
    if _state['in_request']:
        _state['interrupt_pending'] = True


def _flush_user_streams():
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except BaseException:
            pass


def _print_exception(error):
    # Drop the host's own frames wherever they are (the first ones, exec, and the SIGINT handler
    # a timeout's KeyboardInterrupt comes from), so the user sees only their code.
    kept = []
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename not in (SERVER_FILENAME, PRELUDE_FILENAME):
            kept.append(tb)
        tb = tb.tb_next
    tb = None
    for frame in reversed(kept):
        tb = types.TracebackType(tb, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    try:
        traceback.print_exception(type(error), error, tb)
    except BaseException:
        pass


def _exit_code_of(error):
    code = error.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except BaseException:
        pass
    return 1


def _run(request):
    exit_code = 0
    interrupted = False
    signal.signal(signal.SIGINT, _on_sigint)
    try:
        try:
            _state['running'] = True
            if _state['interrupt_pending']:
                raise KeyboardInterrupt
            exec(compile(request['code'], CELL_FILENAME, 'exec'), _main.__dict__)
        finally:
            _state['running'] = False
    except KeyboardInterrupt as error:
        interrupted = True
        exit_code = 1
        _print_exception(error)
    except SystemExit as error:
        exit_code = _exit_code_of(error)
    except BaseException as error:
        exit_code = 1
        _print_exception(error)
    _flush_user_streams()
    if os.getpid() != _server_pid:
        # A process the user's code forked and left running (no os._exit) came back here: it must
        # not answer the request or end the run a second time. It ends like a plain script would.
        os._exit(exit_code)
    token = request['token'].encode('ascii')
    _write_all(_stdout_fd, token)
    _write_all(_stderr_fd, token)
    return {'exitCode': exit_code, 'interrupted': interrupted}


class _FileError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _check_relative(relative):
    if not isinstance(relative, str) or relative == '' or '\0' in relative:
        raise _FileError('INVALID_INPUT', 'The path must be a non-empty string')
    if relative.startswith('/'):
        raise _FileError('INVALID_INPUT', f'The path {relative!r} is absolute; use a path relative to the work dir')
    if '..' in relative.split('/'):
        raise _FileError('INVALID_INPUT', f'The path {relative!r} contains ".."')


def _resolve(relative):
    _check_relative(relative)
    work = os.path.realpath(_work_dir)
    full = os.path.realpath(os.path.join(work, relative))
    if full != work and not full.startswith(work + '/'):
        # A symlink the code made that leads out of the work dir.
        raise _FileError('FILE_NOT_FOUND', f'{relative!r} leads outside the work dir')
    return full


def _read(request):
    relative = request['path']
    path = _resolve(relative)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        raise _FileError('FILE_NOT_FOUND', f'No file {relative!r} in the work dir') from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _FileError('NOT_A_FILE', f'{relative!r} is not a regular file')
        if info.st_size > request['maxBytes']:
            raise _FileError('TOO_LARGE', f'{relative!r} has {info.st_size} bytes, more than readFile returns ({request["maxBytes"]})')
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    return {'content': b''.join(chunks)}


def _write(request):
    relative = request['path']
    path = _resolve(relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as file:
        file.write(base64.b64decode(request['content']))
    return {}


def _remove(request):
    import shutil

    # Every path is checked before anything is removed.
    entries = [_entry(relative) for relative in request['paths']]
    for entry in entries:
        try:
            if os.path.isdir(entry) and not os.path.islink(entry):
                shutil.rmtree(entry)
            else:
                os.remove(entry)
        except (FileNotFoundError, NotADirectoryError):
            pass
    return {}


def _entry(relative):
    """The entry `relative` names inside the work dir: a symlink itself, not what it points to."""
    _check_relative(relative)
    parent, name = os.path.split(relative.rstrip('/'))
    if name in ('', '.'):
        raise _FileError('INVALID_INPUT', f'The path {relative!r} names the work dir itself')
    folder = _resolve(parent) if parent not in ('', '.') else os.path.realpath(_work_dir)
    return os.path.join(folder, name)


def _start(init):
    import resource

    limits = init['limits']
    cpu = limits['cpuSeconds']
    for name, soft, hard in (('RLIMIT_AS', limits['memoryBytes'], limits['memoryBytes']),
                             # At the soft limit the kernel sends SIGXCPU, which says why; at an
                             # equal hard limit it would send SIGKILL first.
                             ('RLIMIT_CPU', cpu, cpu + 1),
                             ('RLIMIT_FSIZE', limits['fileBytes'], limits['fileBytes']),
                             ('RLIMIT_CORE', 0, 0)):
        # The hard limits too: the user's code cannot raise them back.
        resource.setrlimit(getattr(resource, name), (soft, hard))
    if limits.get('processes') is not None:
        # Counted per user namespace, threads included; the kernel ignores it for host root, which
        # is why a root host starts the sandbox as an unprivileged user.
        resource.setrlimit(resource.RLIMIT_NPROC, (limits['processes'], limits['processes']))

    cache_dir = os.environ['MPLCONFIGDIR']
    os.makedirs(cache_dir, exist_ok=True)
    given = init.get('fontCache') or {}
    for name, text in given.items():
        with open(os.path.join(cache_dir, os.path.basename(name)), 'w', encoding='utf-8') as file:
            file.write(text)

    import matplotlib
    matplotlib.use('agg')
    import matplotlib.font_manager as font_manager
    import matplotlib.pyplot  # noqa: F401  imported once here so the first cell does not pay for it

    ready = {'op': 'ready', 'python': sys.version.split()[0], 'matplotlib': matplotlib.__version__}
    name = f'fontlist-v{font_manager.FontManager.__version__}.json'
    try:
        with open(os.path.join(cache_dir, name), encoding='utf-8') as file:
            built = file.read()
        if given.get(name) != built:
            ready['fontCache'] = {name: built}
    except OSError:
        pass
    return ready


def _serve():
    global _work_dir
    # Until the first cell, a SIGINT is ignored like between cells.
    signal.signal(signal.SIGINT, _on_sigint)
    init = json.loads(_requests.readline())
    _work_dir = init['workDir']
    try:
        ready = _start(init)
    except BaseException as error:
        _print_exception(error)
        _flush_user_streams()
        _reply({'op': 'ready', 'error': f'{type(error).__name__}: {error}'})
        os._exit(1)
    sys.argv = ['']
    _reply(ready)

    handlers = {'run': _run, 'read': _read, 'write': _write, 'remove': _remove}
    while True:
        line = _requests.readline()
        if not line:
            # Node closed the channel: the session is over.
            _flush_user_streams()
            os._exit(0)
        _state['in_request'] = True
        _state['interrupt_pending'] = False
        request = json.loads(line)
        try:
            result = handlers[request['op']](request)
            result['ok'] = True
        except _FileError as error:
            result = {'ok': False, 'code': error.code, 'message': str(error)}
        except Exception as error:
            result = {'ok': False, 'code': 'FAILED', 'message': f'{type(error).__name__}: {error}'}
        _state['in_request'] = False
        result['id'] = request['id']
        _reply(result)


_work_dir = ''
_server_pid = os.getpid()
_serve()
