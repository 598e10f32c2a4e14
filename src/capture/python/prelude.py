"""sandplot prelude: runs one cell of user code as a notebook would, and sends back what the
notebook shows: the output, the last expression's value, what display() shows, and the figures.

wrap-code.ts installs this source once per process as a module in sys.modules (named after a
hash of the source, so a new version replaces an old one) and calls run() for every execution.
The module is this file followed by figures.py, display.py, files.py and chart.py (one namespace).
Results leave as one-line markers on stdout, in order with what the code prints:
    @@sandplot:{nonce}:{kind}:{base64 JSON header}:{base64 data}
kinds: fresh (the first run after the prelude was installed in this interpreter), file and file-ref
(a file the cell wrote: its bytes, or with transport 'files' only its path), figure, figure-file (transport 'files': the figure is saved as
.sandplot/figures/{nonce}/figure-{index + 1}.{ext} under the directory the process was in when the
prelude was first installed; the host fetches and removes it), display, problem, error.
The module imports nothing heavy, and never matplotlib, pandas, IPython or plotly: it patches
them when the user's code imports them.
"""

import os
import sys
from binascii import a2b_base64, b2a_base64

_MODULE_PREFIX = '_sandplot_prelude_'
_MARKER_PREFIX = '@@sandplot:'

# 'cells' numbers the <cell-N> file names; 'active' is the execution that display(), plt.show()
# and savefig report to; 'capturing' is set while the prelude renders a figure itself (its own
# savefig calls are not the user's); 'base' is the working directory at the first install, which
# the host's file paths are relative to (None when it could not be read).
_state = {'cells': 0, 'active': None, 'capturing': False, 'base': None}


def run(code, nonce, format, dpi, max_figures, max_figure_bytes, capture, transport='stdout', chart=True,
        max_side_pixels=None, tight=True, files=None, show_value=True):
    """Runs base64 UTF-8 `code` in the caller's globals, as a notebook cell."""
    namespace = sys._getframe(1).f_globals
    execution = _Execution(sys.stdout, nonce, format, dpi, max_figures, max_figure_bytes, transport)
    execution.capture = capture
    execution.chart = chart
    execution.max_side_pixels = max_side_pixels
    execution.tight = tight
    execution.files = files
    stderr = sys.stderr
    _state['cells'] += 1
    filename = '<cell-%d>' % _state['cells']
    previous = _state['active']
    _state['active'] = execution
    _patch_loaded_modules()
    if _state.pop('fresh', False):
        execution.emit('fresh', {})
    _start_files(execution)
    try:
        try:
            source = a2b_base64(code).decode('utf-8')
            _remember_source(filename, source)
            _run_cell(source, filename, namespace, execution, show_value)
        except BaseException as error:
            _report_error(execution, error, stderr)
    finally:
        _state['active'] = previous
        if capture:
            _capture_open_figures(execution)
        _send_files(execution)


def _run_cell(source, filename, namespace, execution, show_value):
    """Runs the cell; when its last statement is an expression, shows its value (IPython's
    'last_expr'), unless it is None or the cell ends with a semicolon."""
    import ast

    tree = _parse_cell(source, filename)
    last = None
    if show_value and tree.body and isinstance(tree.body[-1], ast.Expr) and \
            not _ends_quietly(source, tree.body[-1]):
        last = tree.body.pop()
    exec(compile(tree, filename, 'exec', dont_inherit=True), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), filename, 'eval', dont_inherit=True), namespace)
        if value is not None:
            _show(value, 'value', execution)


def _parse_cell(source, filename):
    import ast
    import re

    try:
        return compile(source, filename, 'exec', ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError:
        # `%matplotlib inline` (or notebook, widget...) is how notebook code starts; the figures
        # are captured anyway, so the line does nothing here. Other magics stay a SyntaxError.
        cleaned, count = re.subn(r'(?m)^([ \t]*)%matplotlib\b[^\n]*$', r'\1pass', source)
        if count == 0:
            raise
        try:
            return compile(cleaned, filename, 'exec', ast.PyCF_ONLY_AST, dont_inherit=True)
        except SyntaxError:
            pass
        raise


def _ends_quietly(source, last):
    """True when a semicolon follows the cell's last expression (IPython then shows no value)."""
    lines = source.splitlines()
    rest = lines[last.end_lineno - 1][last.end_col_offset:] if last.end_lineno <= len(lines) else ''
    return rest.lstrip().startswith(';')


class _Execution:
    __slots__ = ('stdout', 'nonce', 'format', 'dpi', 'max_figures', 'max_figure_bytes', 'transport',
                 'next_index', 'capture', 'chart', 'pid', 'max_side_pixels', 'tight', 'delivered',
                 'saved', 'saved_over', 'files')

    def __init__(self, stdout, nonce, format, dpi, max_figures, max_figure_bytes, transport):
        self.stdout = stdout
        self.nonce = nonce
        self.format = format
        self.dpi = dpi
        self.max_figures = max_figures
        self.max_figure_bytes = max_figure_bytes
        self.transport = transport
        self.next_index = 0
        self.capture = True
        self.chart = True
        self.pid = os.getpid()
        self.max_side_pixels = None
        self.tight = True
        # Figures sent in this execution (held, so their ids stay unique), and figures the code
        # saved with savefig, which are sent even when the code closed them.
        self.delivered = []
        self.saved = []
        self.saved_over = 0
        # The limits on files sent back (maxFiles, maxFileBytes, maxTotalBytes, maxEntries), or
        # None when files are not collected.
        self.files = None

    def emit(self, kind, header, data=b''):
        import json

        if os.getpid() != self.pid:
            # A process the user's code forked: its markers would repeat the parent's figures, or
            # arrive after the execution ended and show up in the next one's output.
            return
        text = json.dumps(header, separators=(',', ':'), ensure_ascii=False, allow_nan=False)
        line = ''.join((
            _MARKER_PREFIX, self.nonce, ':', kind, ':',
            _base64(text.encode('utf-8', 'replace')), ':', _base64(data), '\n',
        ))
        stream = self.stdout
        if stream is None:
            return
        # Flushing first keeps the marker after everything the user printed before it.
        stream.flush()
        stream.write(line)
        stream.flush()

    def problem(self, index, reason):
        header = {'reason': reason}
        if index is not None:
            header['index'] = index
        self.emit('problem', header)

    def file_problem(self, path, reason):
        self.emit('problem', {'path': path, 'reason': '%s: %s' % (path, reason)})

    def take_index(self):
        index = self.next_index
        self.next_index += 1
        return index


# Code of the host's own: this module (compiled under this name) and the local backend's server,
# whose SIGINT handler is where a timeout's KeyboardInterrupt is raised.
_HOST_FILENAMES = ('<sandplot-prelude>', '<sandplot-server>')


def _user_frames(frames):
    """The traceback without the host's frames, wherever they are: the first ones (run, exec),
    the last one of a timeout (the SIGINT handler) and those of display() or plt.show() in
    between. The user sees their own cells and the libraries they called."""
    import types

    kept = []
    while frames is not None:
        frame = frames.tb_frame
        if frame.f_globals is not globals() and frame.f_code.co_filename not in _HOST_FILENAMES:
            kept.append(frames)
        frames = frames.tb_next
    result = None
    for frames in reversed(kept):
        result = types.TracebackType(result, frames.tb_frame, frames.tb_lasti, frames.tb_lineno)
    return result


def _without_host_frames(error):
    """Drops the host's frames from `error` and from the exceptions chained to it."""
    seen = set()
    pending = [error]
    while pending:
        error = pending.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        error.__traceback__ = _user_frames(error.__traceback__)
        pending.extend((error.__cause__, error.__context__))


def _report_error(execution, error, stderr):
    import traceback

    _without_host_frames(error)
    frames = error.__traceback__
    sys.last_type, sys.last_value, sys.last_traceback = type(error), error, frames
    if sys.version_info >= (3, 12):
        sys.last_exc = error
    text = ''.join(traceback.format_exception(type(error), error, frames))
    try:
        if stderr is not None:
            stderr.write(text)
            stderr.flush()
    finally:
        execution.emit('error', {'name': type(error).__name__, 'value': _safe_str(error), 'traceback': text})


def _remember_source(filename, source):
    import linecache

    # mtime None: linecache.checkcache() keeps entries that have no file behind them.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


# Modules patched when the user's code imports them (or at once, when already imported):
# module name -> the name of the function here that patches it.
_PATCHES = {
    'matplotlib.pyplot': '_patch_pyplot',
    'matplotlib.figure': '_patch_savefig',
    'pandas': '_set_pandas_options',
    'IPython.core.display_functions': '_patch_ipython_display',
    'IPython.core.display': '_patch_ipython_display',
    'IPython.display': '_patch_ipython_display',
    'plotly.io': '_patch_plotly',
}


def _patch(name, module):
    try:
        globals()[_PATCHES[name]](module)
    except Exception:
        pass


def _patch_loaded_modules():
    import builtins

    # IPython puts display() among the builtins; a kernel's own would publish to nowhere here.
    display = getattr(builtins, 'display', None)
    if display is not _display:
        if display is not None:
            _remember_ipython_display(display)
        builtins.display = _display
    for name in _PATCHES:
        module = sys.modules.get(name)
        if module is not None:
            _patch(name, module)


class _ModuleFinder:
    """Patches the modules in _PATCHES the moment they are imported, so none is imported by us."""

    _sandplot_finder = True

    def find_spec(self, name, path=None, target=None):
        if name not in _PATCHES:
            return None
        for finder in sys.meta_path:
            if getattr(finder, '_sandplot_finder', False):
                continue
            find_spec = getattr(finder, 'find_spec', None)
            spec = None if find_spec is None else find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, 'exec_module'):
            spec.loader = _PatchingLoader(spec.loader, name)
        return spec

    def invalidate_caches(self):
        pass


class _PatchingLoader:
    def __init__(self, loader, name):
        self._loader = loader
        self._name = name

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _patch(self._name, module)


def _wrapper(original, replacement, name):
    """Marks `replacement` as ours, keeping the original it wraps (a newer prelude re-wraps it)."""
    replacement.__name__ = name
    replacement.__qualname__ = getattr(original, '__qualname__', name)
    replacement.__doc__ = getattr(original, '__doc__', None)
    replacement._sandplot_module = __name__
    replacement._sandplot_original = original
    return replacement


def _original(function):
    """The function a prelude (this or an older one) wrapped, or `function` itself."""
    return getattr(function, '_sandplot_original', function)


def _is_ours(function):
    return getattr(function, '_sandplot_module', None) == __name__


def _set_pandas_options(pandas):
    # What a notebook shows (pandas' defaults when it is not in a terminal): up to 20 columns and
    # 60 rows, on lines as wide as the frame needs instead of an 80-character terminal.
    if getattr(pandas, '_sandplot_options', None) == __name__:
        return
    for option, value in (('display.max_columns', 20), ('display.max_rows', 60), ('display.width', 1000)):
        try:
            pandas.set_option(option, value)
        except Exception:
            pass
    pandas._sandplot_options = __name__


def _base64(data):
    return b2a_base64(data, newline=False).decode('ascii')


def _size(byte_count):
    if byte_count < 1024:
        return '%d bytes' % byte_count
    if byte_count < 1024 * 1024:
        return '%s KB' % _one_decimal(byte_count / 1024)
    return '%s MB' % _one_decimal(byte_count / (1024 * 1024))


def _one_decimal(number):
    text = '%.1f' % number
    return text[:-2] if text.endswith('.0') else text


def _safe_str(error):
    try:
        return str(error)
    except BaseException:
        return '<str() of the %s failed>' % type(error).__name__


def _describe(error):
    text = _safe_str(error)
    return '%s: %s' % (type(error).__name__, text) if text else type(error).__name__


def _install():
    cells = 0
    base = None
    for name in list(sys.modules):
        if name.startswith(_MODULE_PREFIX) and name != __name__:
            older = sys.modules.pop(name, None)
            older_state = getattr(older, '_state', None)
            if isinstance(older_state, dict):
                # Continuing the numbering keeps older cells' linecache entries valid.
                cells = max(cells, older_state.get('cells', 0))
                base = base or older_state.get('base')
    _state['cells'] = cells
    if base is None:
        try:
            base = os.getcwd()
        except OSError:
            pass
    _state['base'] = base
    sys.meta_path[:] = [finder for finder in sys.meta_path if not getattr(finder, '_sandplot_finder', False)]
    sys.meta_path.insert(0, _ModuleFinder())
    # Only read when matplotlib is first imported: a sandbox has no screen to show windows on.
    os.environ.setdefault('MPLBACKEND', 'agg')


_install()
