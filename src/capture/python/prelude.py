"""sandplot prelude: runs one cell of user code and sends back its matplotlib figures.

wrap-code.ts installs this source once per process as a module in sys.modules (named after a
hash of this file, so a new version replaces an old one) and calls run() for every execution.
Results leave as one-line markers on stdout:
    @@sandplot:{nonce}:{kind}:{base64 JSON header}:{base64 data}
With transport 'files', figures are saved as .sandplot/figures/{nonce}/figure-{index}.{ext} under
the directory the process was in when the prelude was first installed, and a `figure-file` marker
(no data) announces each; the host fetches and removes them (src/capture/figure-files.ts).
The module imports nothing heavy, and never matplotlib: it patches pyplot.show only when the
user's code imports pyplot.
"""

import os
import sys
from binascii import a2b_base64, b2a_base64

_MODULE_PREFIX = '_sandplot_prelude_'
_MARKER_PREFIX = '@@sandplot:'

_FIGURE_FILES_FOLDER = ('.sandplot', 'figures')
_EXTENSIONS = {'png': 'png', 'svg': 'svg', 'jpeg': 'jpg'}

# 'cells' numbers the <cell-N> file names; 'active' is the execution plt.show() reports to;
# 'base' is the working directory at the first install, which the host's file paths are relative
# to (None when it could not be read).
_state = {'cells': 0, 'active': None, 'base': None}


def run(code, nonce, format, dpi, max_figures, max_figure_bytes, capture, transport='stdout', chart=True,
        max_side_pixels=None):
    """Runs base64 UTF-8 `code` in the caller's globals; reports figures and the exception."""
    namespace = sys._getframe(1).f_globals
    execution = _Execution(sys.stdout, nonce, format, dpi, max_figures, max_figure_bytes, transport)
    execution.chart = chart
    execution.max_side_pixels = max_side_pixels
    stderr = sys.stderr
    _state['cells'] += 1
    filename = '<cell-%d>' % _state['cells']
    previous = _state['active']
    if capture:
        _state['active'] = execution
        pyplot = sys.modules.get('matplotlib.pyplot')
        if pyplot is not None:
            _patch_pyplot(pyplot)
    try:
        try:
            source = a2b_base64(code).decode('utf-8')
            _remember_source(filename, source)
            exec(compile(source, filename, 'exec', dont_inherit=True), namespace)
        except BaseException as error:
            _report_error(execution, error, stderr)
    finally:
        _state['active'] = previous
        if capture:
            execution.capture_open_figures()


class _Execution:
    __slots__ = ('stdout', 'nonce', 'format', 'dpi', 'max_figures', 'max_figure_bytes', 'transport',
                 'next_index', 'chart', 'pid', 'max_side_pixels')

    def __init__(self, stdout, nonce, format, dpi, max_figures, max_figure_bytes, transport):
        self.stdout = stdout
        self.nonce = nonce
        self.format = format
        self.dpi = dpi
        self.max_figures = max_figures
        self.max_figure_bytes = max_figure_bytes
        self.transport = transport
        self.next_index = 0
        self.chart = True
        self.pid = os.getpid()
        self.max_side_pixels = None

    def emit(self, kind, header, data=b''):
        import json

        if os.getpid() != self.pid:
            # A process the user's code forked: its markers would repeat the parent's figures, or
            # arrive after the execution ended and show up in the next one's output.
            return
        text = json.dumps(header, separators=(',', ':'), ensure_ascii=False)
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
        self.emit('problem', {'index': index, 'reason': reason})

    def capture_open_figures(self):
        pyplot = sys.modules.get('matplotlib.pyplot')
        if pyplot is None:
            return
        from matplotlib._pylab_helpers import Gcf

        for manager in sorted(Gcf.get_all_fig_managers(), key=lambda manager: manager.num):
            index = self.next_index
            self.next_index += 1
            figure = manager.canvas.figure
            try:
                self.capture_figure(index, figure)
            except Exception as error:
                self.problem(index, 'figure %d could not be saved: %s' % (index, _describe(error)))
            finally:
                pyplot.close(figure)

    def capture_figure(self, index, figure):
        if index >= self.max_figures:
            self.problem(index, 'figure %d was not captured: over maxFigures (%d)' % (index, self.max_figures))
            return
        limit = self.max_side_pixels
        if limit is not None:
            # Checked before rendering: a 10000 px figure costs seconds and hundreds of MB to draw.
            width, height = (round(inches * self.dpi) for inches in figure.get_size_inches())
            if max(width, height) > limit:
                self.problem(index, 'figure %d would be %d×%d px, over maxFigureSidePixels (%d): '
                             'make it smaller (figsize) or lower capture.dpi' % (index, width, height, limit))
                return
        from io import BytesIO

        buffer = BytesIO()
        figure.savefig(buffer, format=self.format, dpi=self.dpi)
        data = buffer.getvalue()
        if len(data) > self.max_figure_bytes:
            self.problem(index, 'figure %d is %s, over maxFigureBytes (%s)' % (
                index, _size(len(data)), _size(self.max_figure_bytes)))
            return
        header = {'index': index, 'format': self.format}
        size = _pixel_size(self.format, data, figure, self.dpi)
        if size is not None:
            header['width'], header['height'] = size
        title = _title(figure)
        if title:
            header['title'] = title
        if self.chart:
            # _add_chart is in chart.py, which wrap-code.ts appends to this module's source.
            _add_chart(header, figure)
        if self.transport == 'files':
            self.save_figure_file(index, data)
            self.emit('figure-file', header)
        else:
            self.emit('figure', header, data)

    def save_figure_file(self, index, data):
        base = _state['base']
        if base is None:
            raise OSError('the working directory was unreadable when sandplot was installed')
        # Absolute, so a user's os.chdir() does not move the file away from where the host looks.
        folder = os.path.join(base, *_FIGURE_FILES_FOLDER, self.nonce)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, 'figure-%d.%s' % (index, _EXTENSIONS[self.format]))
        with open(path, 'wb') as file:
            file.write(data)


def _report_error(execution, error, stderr):
    import traceback

    # The first frames are this module's (run, exec): the user sees only their own code.
    frames = error.__traceback__
    while frames is not None and frames.tb_frame.f_globals is globals():
        frames = frames.tb_next
    error.__traceback__ = frames
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


def _patch_pyplot(pyplot):
    show = getattr(pyplot, 'show', None)
    if show is None or getattr(show, '_sandplot_module', None) == __name__:
        return
    original = getattr(show, '_sandplot_original', show)

    def patched_show(*args, **kwargs):
        execution = _state['active']
        if execution is None:
            return original(*args, **kwargs)
        execution.capture_open_figures()
        return None

    patched_show.__name__ = 'show'
    patched_show.__qualname__ = 'show'
    patched_show.__doc__ = getattr(original, '__doc__', None)
    patched_show._sandplot_module = __name__
    patched_show._sandplot_original = original
    pyplot.show = patched_show


class _PyplotFinder:
    """Patches pyplot.show the moment pyplot is imported, so matplotlib is never imported by us."""

    _sandplot_finder = True

    def find_spec(self, name, path=None, target=None):
        if name != 'matplotlib.pyplot':
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
            spec.loader = _PatchingLoader(spec.loader)
        return spec

    def invalidate_caches(self):
        pass


class _PatchingLoader:
    def __init__(self, loader):
        self._loader = loader

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        try:
            _patch_pyplot(module)
        except Exception:
            pass


def _pixel_size(format, data, figure, dpi):
    if format == 'png' and len(data) >= 24:
        return int.from_bytes(data[16:20], 'big'), int.from_bytes(data[20:24], 'big')
    if format == 'jpeg':
        size = _jpeg_size(data)
        if size is not None:
            return size
    if format == 'svg':
        size = _svg_size(data, dpi)
        if size is not None:
            return size
    width, height = figure.get_size_inches()
    return int(width * dpi), int(height * dpi)


def _jpeg_size(data):
    position = 2
    while position + 9 < len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            position += 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = (data[position + 5] << 8) | data[position + 6]
            width = (data[position + 7] << 8) | data[position + 8]
            return width, height
        position += 2 + ((data[position + 2] << 8) | data[position + 3])
    return None


def _svg_size(data, dpi):
    import re

    # matplotlib writes the size in points (1/72 inch) on the root element.
    match = re.search(rb'<svg\b[^>]*?\swidth="([0-9.]+)pt"[^>]*?\sheight="([0-9.]+)pt"', data[:4096])
    if match is None:
        return None
    return round(float(match.group(1)) * dpi / 72), round(float(match.group(2)) * dpi / 72)


def _title(figure):
    suptitle = getattr(figure, '_suptitle', None)
    if suptitle is not None and suptitle.get_text():
        return suptitle.get_text()
    for axes in figure.axes:
        for location in ('center', 'left', 'right'):
            text = axes.get_title(location)
            if text:
                return text
    return None


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
    sys.meta_path.insert(0, _PyplotFinder())
    # Only read when matplotlib is first imported: a sandbox has no screen to show windows on.
    os.environ.setdefault('MPLBACKEND', 'agg')
    pyplot = sys.modules.get('matplotlib.pyplot')
    if pyplot is not None:
        _patch_pyplot(pyplot)


_install()
