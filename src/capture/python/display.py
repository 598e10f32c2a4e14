"""sandplot displays: display() and the cell's last value, shown as a notebook shows them.

Part of the prelude module (wrap-code.ts joins prelude.py, figures.py, this file and chart.py).
A `display` marker carries the text a notebook shows for the object (pandas objects as pandas
prints them, Markdown as its text, anything else as its pretty repr), and for DataFrames and
Series a bounded table. Images (a matplotlib figure, a PIL image, IPython's Image and SVG,
anything with _repr_png_/_repr_jpeg_/_repr_svg_) are sent as figures. A plotly figure is sent as
an image when plotly can render one (kaleido), else as its chart data with a problem saying why.
Everything is bounded: _DISPLAY_MAX_CHARS of text (its middle cut, with a count), tables of
_TABLE_MAX_ROWS × _TABLE_MAX_COLUMNS cells of at most _TABLE_MAX_CELL characters.
"""

_DISPLAY_MAX_CHARS = 100_000
_TABLE_MAX_ROWS = 50
_TABLE_MAX_COLUMNS = 30
_TABLE_MAX_CELL = 200
_PRETTY_MAX_ITEMS = 1000
_PRETTY_WIDTH = 79


def _display(*objects, **options):
    """display() as in IPython: shows each object in order with what the cell prints."""
    execution = _state['active']
    if execution is None:
        return _original_display(*objects, **options)
    raw = options.get('raw', False)
    for value in objects:
        if raw and isinstance(value, dict):
            _show_bundle(value, execution)
        else:
            _show(value, 'display', execution)
    return None


_display._sandplot_module = __name__


def _original_display(*objects, **options):
    display = _state.get('ipython_display')
    if display is not None:
        return display(*objects, **options)
    print(*objects)
    return None


def _remember_ipython_display(display):
    # A display() of any prelude version is not IPython's own.
    if not hasattr(display, '_sandplot_module'):
        _state.setdefault('ipython_display', display)


def _clear_output(*args, **kwargs):
    # A notebook clears the cell's output area; here the output is a log, kept whole.
    return None


_clear_output._sandplot_module = __name__


def _patch_ipython_display(module):
    display = getattr(module, 'display', None)
    if display is not None and display is not _display:
        _remember_ipython_display(display)
        module.display = _display
    if getattr(module, 'clear_output', None) not in (None, _clear_output):
        module.clear_output = _clear_output
    if getattr(module, 'update_display', None) not in (None, _display):
        module.update_display = _display


def _show(value, source, execution):
    """Shows one object: an image becomes a figure; anything else a display of its text."""
    try:
        if _is_matplotlib_figure(value):
            if execution.capture:
                # An open figure as the cell's value is sent with the others when the cell ends,
                # in the order the code made them; display(figure) sends it where it was called.
                if source != 'value' or not _is_open(value):
                    _deliver_figure(execution, value)
                return
        elif _is_plotly_figure(value):
            _show_plotly(value, source, execution)
            return
        else:
            image = _image_of(value, execution)
            if image is not None:
                _send_displayed_image(execution, image)
                return
        header = {'source': source, 'text': _bounded_text(_text_of(value))}
        table = _table_of(value)
        if table is not None:
            header['table'] = table
    except Exception as error:
        header = {'source': source, 'text': '<%s could not be shown: %s>' % (
            _type_name(value), _describe(error))}
    execution.emit('display', header)


def _show_bundle(bundle, execution):
    """display(..., raw=True) of a MIME bundle: an image, else its plain text."""
    for media_type, format in (('image/png', 'png'), ('image/jpeg', 'jpeg'), ('image/svg+xml', 'svg')):
        data = bundle.get(media_type)
        if data is not None:
            _send_displayed_image(execution, (format, _image_bytes(data, format), None))
            return
    text = bundle.get('text/markdown') or bundle.get('text/plain') or bundle.get('text/html') or ''
    execution.emit('display', {'source': 'display', 'text': _bounded_text(str(text))})


def _is_matplotlib_figure(value):
    module = type(value).__module__ or ''
    return module.startswith('matplotlib.') and hasattr(value, 'savefig') and hasattr(value, 'canvas')


def _is_open(figure):
    """True for a figure pyplot still holds (the cell's end sends it)."""
    if 'matplotlib.pyplot' not in sys.modules:
        return False
    from matplotlib._pylab_helpers import Gcf

    return any(manager.canvas.figure is figure for manager in Gcf.get_all_fig_managers())


def _is_plotly_figure(value):
    return any(kind.__module__ == 'plotly.basedatatypes' and kind.__name__ == 'BaseFigure'
               for kind in type(value).__mro__)


def _image_of(value, execution):
    """(format, bytes, title) for an object a notebook shows as an image, else None."""
    kind = type(value)
    if any(base.__module__.startswith('PIL.') and base.__name__ == 'Image' for base in kind.__mro__):
        return _pil_image(value, execution)
    for method, format in (('_repr_png_', 'png'), ('_repr_jpeg_', 'jpeg'), ('_repr_svg_', 'svg')):
        represent = getattr(value, method, None)
        if represent is None or not callable(represent):
            continue
        data = represent()
        if isinstance(data, tuple):
            data = data[0]
        if data:
            return format, _image_bytes(data, format), None
    return None


def _pil_image(image, execution):
    from io import BytesIO

    width, height = image.size
    limit = execution.max_side_pixels
    if limit is not None and max(width, height) > limit:
        raise ValueError('the image is %d×%d px, over maxFigureSidePixels (%d)' % (width, height, limit))
    if image.mode not in ('RGB', 'RGBA', 'L', 'LA', 'P', '1', 'I;16'):
        image = image.convert('RGBA')
    buffer = BytesIO()
    image.save(buffer, format='png')
    return 'png', buffer.getvalue(), None


def _image_bytes(data, format):
    if isinstance(data, str):
        if format == 'svg':
            return data.encode('utf-8')
        return a2b_base64(data)
    return bytes(data)


def _send_displayed_image(execution, image):
    format, data, title = image
    index = execution.take_index()
    if index >= execution.max_figures:
        execution.problem(index, 'figure %d was not captured: over the limit of figures per call (maxFigures: %d)' % (
            index + 1, execution.max_figures))
        return
    header = {}
    if title:
        header['title'] = title
    _send_image(execution, index, format, data, header)


def _text_of(value):
    """The text a notebook shows for `value`."""
    markdown = getattr(value, '_repr_markdown_', None)
    if callable(markdown) and not isinstance(value, type):
        text = markdown()
        if isinstance(text, tuple):
            text = text[0]
        if isinstance(text, str):
            return text
    module = type(value).__module__ or ''
    if module.startswith('IPython.') and isinstance(getattr(value, 'data', None), str):
        # HTML, Latex, JSON, Javascript...: their source is the text.
        return value.data
    if module.startswith('pandas.') and type(value).__name__ == 'Styler':
        return _safe_repr(value.data)
    return _pretty(value)


def _pretty(value):
    """Like IPython's plain-text repr: containers wrapped at 79 columns, at most 1000 items."""
    if isinstance(value, str):
        if len(value) > _DISPLAY_MAX_CHARS:
            return repr(value[:_DISPLAY_MAX_CHARS]) + '…'
        return repr(value)
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        try:
            if _item_count(value, _PRETTY_MAX_ITEMS) > _PRETTY_MAX_ITEMS:
                import reprlib

                limits = reprlib.Repr()
                limits.maxlevel = 6
                limits.maxlist = limits.maxtuple = limits.maxdict = limits.maxset = _PRETTY_MAX_ITEMS
                limits.maxfrozenset = limits.maxdeque = limits.maxarray = _PRETTY_MAX_ITEMS
                limits.maxstring = limits.maxother = _TABLE_MAX_CELL
                limits.maxlong = 4000
                return limits.repr(value)
            import pprint

            return pprint.pformat(value, width=_PRETTY_WIDTH, sort_dicts=False)
        except Exception:
            pass
    return _safe_repr(value)


def _item_count(value, limit, depth=0):
    """Items in `value` and the containers inside it, counted up to just over `limit`."""
    count = len(value)
    if count > limit or depth > 5:
        return count
    items = value.values() if isinstance(value, dict) else value
    for item in items:
        if isinstance(item, (list, tuple, dict, set, frozenset)):
            count += _item_count(item, limit - count, depth + 1)
            if count > limit:
                break
    return count


def _safe_repr(value):
    try:
        return repr(value)
    except Exception as error:
        return '<repr() of the %s failed: %s>' % (_type_name(value), _describe(error))


def _type_name(value):
    kind = type(value)
    return '%s.%s' % (kind.__module__, kind.__qualname__)


def _bounded_text(text):
    if len(text) <= _DISPLAY_MAX_CHARS:
        return text
    head = _DISPLAY_MAX_CHARS * 4 // 5
    tail = _DISPLAY_MAX_CHARS - head
    return '%s\n… [%d characters cut] …\n%s' % (text[:head], len(text) - head - tail, text[-tail:])


def _table_of(value):
    """A bounded table for a DataFrame, Series or Styler, else None."""
    kind = type(value)
    module = kind.__module__ or ''
    if not module.startswith('pandas.'):
        return None
    if kind.__name__ == 'Styler':
        value = value.data
        kind = type(value)
    if kind.__name__ == 'Series':
        value = value.to_frame()
        kind = type(value)
    if kind.__name__ != 'DataFrame':
        return None
    row_count, column_count = value.shape
    part = value.iloc[:_TABLE_MAX_ROWS, :_TABLE_MAX_COLUMNS]
    table = {
        'columns': [_cell(_label(label)) for label in part.columns],
        'rows': [[_cell(item) for item in row] for row in part.itertuples(index=False, name=None)],
        'rowCount': int(row_count),
        'columnCount': int(column_count),
        'index': [_cell(_label(label)) for label in part.index],
    }
    names = [name for name in part.index.names if name is not None]
    if names:
        table['indexName'] = _cell(' / '.join(str(name) for name in names))
    return table


def _label(label):
    if isinstance(label, tuple):
        return ' / '.join(str(part) for part in label)
    return label


def _cell(value):
    """A JSON-ready table cell: number, string, boolean or null (NaN, NaT, None)."""
    import math

    if value is None or isinstance(value, bool):
        return value
    kind = type(value).__name__
    if kind in ('bool_',):
        return bool(value)
    if isinstance(value, int) or kind.startswith(('int', 'uint')):
        number = int(value)
        # Beyond 2^53 a JSON reader loses digits: the exact text instead.
        return number if abs(number) <= 2 ** 53 else str(number)
    if isinstance(value, float) or kind.startswith('float'):
        number = float(value)
        if math.isnan(number):
            return None
        return number if math.isfinite(number) else ('inf' if number > 0 else '-inf')
    if kind in ('NaTType', 'NAType'):
        return None
    date = _date_text(value)
    if date is not None:
        return date
    text = value if isinstance(value, str) else _safe_str(value)
    return text if len(text) <= _TABLE_MAX_CELL else text[:_TABLE_MAX_CELL - 1] + '…'


def _patch_plotly(plotly_io):
    show = getattr(plotly_io, 'show', None)
    if show is None or _is_ours(show):
        return
    original = _original(show)

    def show(figure, *args, **kwargs):
        execution = _state['active']
        if execution is None or not execution.capture:
            return original(figure, *args, **kwargs)
        _show_plotly(figure, 'display', execution)
        return None

    plotly_io.show = _wrapper(original, show, 'show')


def _show_plotly(figure, source, execution):
    """A plotly figure as an image when plotly can render one (it needs kaleido), else its data."""
    import importlib.util

    if hasattr(figure, 'to_dict') and not hasattr(figure, 'to_image'):
        figure = _plotly_figure(figure)
    title = _plotly_title(figure)
    header = {}
    if title:
        header['title'] = _chart_text(title)
    if execution.chart:
        _add_plotly_chart(header, figure)
    if importlib.util.find_spec('kaleido') is not None:
        index = execution.take_index()
        if index >= execution.max_figures:
            execution.problem(index, 'figure %d was not captured: over the limit of figures per call (maxFigures: %d)' % (
                index + 1, execution.max_figures))
            return
        format = 'jpeg' if execution.format == 'jpeg' else execution.format
        try:
            data = figure.to_image(format=format)
        except Exception as error:
            execution.problem(index, 'figure %d: the plotly figure could not be rendered: %s' % (index + 1, _describe(error)))
            return
        _send_image(execution, index, format, data, header)
        return
    name = ' "%s"' % header['title'] if 'title' in header else ''
    execution.problem(None, 'plotly figure%s was not rendered as an image: plotly needs the kaleido package '
                      'for static images, and this sandbox does not have it. Its data is summarised '
                      'instead; use matplotlib or seaborn for a picture.' % name)
    display = {'source': source, 'text': 'Plotly figure%s (no image; its data follows)' % name}
    for key in ('chart', 'chartProblem'):
        if key in header:
            display[key] = header[key]
    execution.emit('display', display)


def _plotly_figure(value):
    import plotly.graph_objects

    return plotly.graph_objects.Figure(value)


def _plotly_title(figure):
    try:
        title = figure.layout.title.text
    except Exception:
        return None
    return title if isinstance(title, str) and title else None
