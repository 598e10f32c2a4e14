"""sandplot chart data: what a matplotlib figure shows, read from its artists.

wrap-code.ts appends this source to prelude.py, so both run as one module: prelude.py calls
_add_chart(header, figure) after saving a figure, and this part uses the prelude's _describe().
It imports only what the user's code already imported (matplotlib and numpy, which made the
figure) and, for values that are already pandas objects, nothing beyond their own methods.

The result matches FigureChart in src/capture/chart.ts. It is bounded: a series keeps at most
_CHART_MAX_POINTS points (an evenly spaced sample that keeps the first and the last), an axes at
most _CHART_MAX_SERIES series, a figure at most _CHART_MAX_AXES axes, every string at most
_CHART_MAX_TEXT characters, and the whole chart at most _CHART_MAX_BYTES of JSON (series are
sampled harder until it fits, or the chart is left out with a reason). Values that are NaN or
infinite (matplotlib draws nothing there) are left out and counted in `nonFinite`, since JSON
has no NaN. parse-markers.ts checks the same limits again on the host.
"""

_CHART_MAX_AXES = 12
_CHART_MAX_SERIES = 20
_CHART_MAX_POINTS = 200
_CHART_MAX_WEDGES = 100
_CHART_MAX_TEXT = 200
_CHART_MAX_BYTES = 64 * 1024
# Points per series tried in turn until the chart's JSON fits in _CHART_MAX_BYTES.
_CHART_POINT_STEPS = (_CHART_MAX_POINTS, 100, 50, 20, 10, 2)


def _add_chart(header, figure, read=None):
    """Puts the figure's chart data into its marker header, or the reason it has none."""
    try:
        chart = (read or _figure_chart)(figure)
    except Exception as error:
        header['chartProblem'] = _chart_text('chart data could not be read: ' + _describe(error))
        return
    if chart is None:
        header['chartProblem'] = 'chart data left out: over %d KB of JSON even when sampled down to %d points per series' % (
            _CHART_MAX_BYTES // 1024, _CHART_POINT_STEPS[-1])
    else:
        header['chart'] = chart


def _figure_chart(figure):
    import numpy

    all_axes = [axes for axes in figure.axes if not _is_colorbar(axes)]
    read = [_read_axes(axes, numpy) for axes in all_axes[:_CHART_MAX_AXES]]
    suptitle = getattr(figure, '_suptitle', None)
    title = suptitle.get_text() if suptitle is not None else ''
    return _fit_chart(read, title, len(all_axes))


def _fit_chart(read, title, axes_count):
    """The chart of the read axes, sampled down until its JSON fits in _CHART_MAX_BYTES, or None."""
    import json

    # Starts at the first step whose points could fit (about 40 bytes of JSON a point), so a
    # big figure is not rendered at every step.
    points = [len(series['keep']) for axes in read for series in axes['series'] if 'keep' in series]
    steps = [limit for limit in _CHART_POINT_STEPS
             if sum(min(count, limit) for count in points) * 40 <= _CHART_MAX_BYTES]
    for limit in steps or _CHART_POINT_STEPS[-1:]:
        truncated = [axes_count > _CHART_MAX_AXES]
        chart = {'axes': [_render_axes(axes, limit, truncated) for axes in read]}
        if title:
            chart['title'] = _chart_text(title, truncated)
        if axes_count > _CHART_MAX_AXES:
            chart['omittedAxes'] = axes_count - _CHART_MAX_AXES
        chart['truncated'] = truncated[0]
        # allow_nan=False: a NaN that slipped through would make the header invalid JSON.
        text = json.dumps(chart, allow_nan=False, ensure_ascii=False, separators=(',', ':'))
        if len(text.encode('utf-8', 'replace')) <= _CHART_MAX_BYTES:
            return chart
    return None


def _is_colorbar(axes):
    return getattr(axes, '_colorbar', None) is not None or axes.get_label() == '<colorbar>'


# Reading: the artists of one axes, with full (unsampled) arrays.

def _read_axes(axes, numpy):
    title = ''
    for location in ('center', 'left', 'right'):
        title = axes.get_title(location)
        if title:
            break
    series = []
    # A 3D axes' artists hold projected 2D positions, which would mislead: they are only counted.
    flat = getattr(axes, 'name', '') != '3d'
    for artist in _plotted_artists(axes) if flat else ():
        if len(series) > _CHART_MAX_SERIES:
            break
        read = artist(numpy)
        if read is not None:
            series.append(read)
    total = len(series)
    if total > _CHART_MAX_SERIES or not flat:
        # Counting the rest only needs the number of artists, not reading them.
        total = sum(1 for _ in _plotted_artists(axes))
    return {
        'title': title, 'xLabel': axes.get_xlabel(), 'yLabel': axes.get_ylabel(),
        'xScale': axes.get_xscale(), 'yScale': axes.get_yscale(),
        'series': series[:_CHART_MAX_SERIES], 'omitted': max(0, total - len(series[:_CHART_MAX_SERIES])),
    }


def _plotted_artists(axes):
    """Readers of the axes' series (lines, bar containers, scatters, pies), in drawing order."""
    from matplotlib.collections import PathCollection
    from matplotlib.container import BarContainer
    from matplotlib.lines import Line2D
    from matplotlib.patches import Wedge

    containers = {}
    for container in axes.containers:
        if isinstance(container, BarContainer):
            for patch in container.patches:
                containers[id(patch)] = container
    children = getattr(axes, '_children', None)
    if children is None:
        children = list(axes.lines) + list(axes.patches) + list(axes.collections)
    # Wedges with one centre and radius are one pie, placed where its first wedge is.
    pies = {}
    for artist in children:
        if isinstance(artist, Wedge):
            pies.setdefault(_pie_key(artist), []).append(artist)
    seen = set()
    for artist in children:
        if isinstance(artist, Wedge):
            key = _pie_key(artist)
            if key not in seen:
                seen.add(key)
                yield _pie_reader(pies[key])
        elif isinstance(artist, Line2D):
            yield _line_reader(axes, artist)
        elif isinstance(artist, PathCollection):
            yield _scatter_reader(axes, artist)
        else:
            container = containers.get(id(artist))
            if container is not None and id(container) not in seen:
                seen.add(id(container))
                yield _bar_reader(axes, container)


def _pie_key(wedge):
    return ('pie', tuple(float(value) for value in wedge.center), float(wedge.r))


def _line_reader(axes, line):
    def read(numpy):
        x = _floats(line.get_xdata(orig=False), numpy)
        y = _floats(line.get_ydata(orig=False), numpy)
        count = min(len(x), len(y))
        x, y = x[:count], y[:count]
        original = _sequence(line.get_xdata(orig=True), count, numpy)
        if isinstance(original, numpy.ndarray) and original.dtype.kind in 'biuf':
            original = None
        transform = line.get_transform()
        if transform is not axes.transData:
            # axhline/axvline and the like: move to data coordinates; the numbers are the values.
            points = transform.transform(numpy.column_stack([x, y]))
            moved_x, moved_y = axes.transData.inverted().transform(points).T
            # A blended transform (axhline: x in axes units, y in data units) keeps one coordinate
            # in data units: keep that one exact, so axhline(0) reads 0, not 7e-15.
            in_data = transform.contains_branch_seperately(axes.transData)
            if not in_data[0]:
                x, original = moved_x, None
            if not in_data[1]:
                y = moved_y
        keep = numpy.flatnonzero(numpy.isfinite(x) & numpy.isfinite(y))
        return {
            'kind': 'line', 'label': line.get_label(), 'x': x, 'y': y, 'keep': keep,
            'original': original, 'xKind': _axis_kind(axes.xaxis), 'points': count,
        }
    return read


def _scatter_reader(axes, collection):
    def read(numpy):
        offset_transform = getattr(collection, 'get_offset_transform', None)
        if offset_transform is not None and offset_transform() is not axes.transData:
            return None
        offsets = numpy.ma.asarray(collection.get_offsets(), dtype=float).filled(numpy.nan)
        offsets = offsets.reshape(-1, 2) if offsets.size % 2 == 0 else offsets[:0].reshape(0, 2)
        x, y = offsets[:, 0], offsets[:, 1]
        keep = numpy.flatnonzero(numpy.isfinite(x) & numpy.isfinite(y))
        return {'kind': 'scatter', 'label': collection.get_label(), 'x': x, 'y': y, 'keep': keep,
                'points': len(x)}
    return read


def _bar_reader(axes, container):
    def read(numpy):
        orientation = getattr(container, 'orientation', None)
        patches = list(container.patches)
        if orientation not in ('vertical', 'horizontal'):
            orientation = 'vertical'
        positions, values = [], []
        for patch in patches:
            if orientation == 'vertical':
                positions.append(patch.get_x() + patch.get_width() / 2)
                values.append(patch.get_height())
            else:
                positions.append(patch.get_y() + patch.get_height() / 2)
                values.append(patch.get_width())
        positions = _floats(positions, numpy)
        values = _floats(values, numpy)
        keep = numpy.flatnonzero(numpy.isfinite(positions) & numpy.isfinite(values))
        axis = axes.xaxis if orientation == 'vertical' else axes.yaxis
        return {'kind': 'bar', 'label': container.get_label(), 'orientation': orientation,
                'positions': positions, 'values': values, 'keep': keep,
                'category': _category_namer(axis), 'count': len(patches)}
    return read


def _pie_reader(wedges):
    def read(numpy):
        return {'kind': 'pie', 'wedges': [
            (wedge.get_label(), (float(wedge.theta2) - float(wedge.theta1)) / 360.0) for wedge in wedges]}
    return read


def _floats(values, numpy):
    return numpy.ravel(numpy.ma.asarray(values, dtype=float).filled(numpy.nan))


def _sequence(values, count, numpy):
    """The original values as something indexable by position, or None when they do not line up."""
    if hasattr(values, 'to_numpy'):
        values = values.to_numpy()
    elif not isinstance(values, numpy.ndarray):
        try:
            values = list(values)
        except TypeError:
            return None
    if isinstance(values, numpy.ndarray) and values.ndim != 1:
        return None
    return values if len(values) == count else None


def _axis_kind(axis):
    get_converter = getattr(axis, 'get_converter', None)
    converter = get_converter() if get_converter is not None else getattr(axis, 'converter', None)
    if converter is None:
        return 'number'
    kind = type(converter)
    if kind.__name__ == 'StrCategoryConverter':
        return 'category'
    for base in kind.__mro__:
        if base.__module__ == 'matplotlib.dates':
            return 'date'
    return 'number'


def _category_namer(axis):
    """Names the category at a bar's position: a category, tick label, date or the number."""
    kind = _axis_kind(axis)
    if kind == 'category':
        units = axis.get_units()
        mapping = getattr(units, '_mapping', None) or {}
        names = {value: name for name, value in mapping.items()}

        def category(position):
            name = names.get(round(position))
            return name if name is not None and abs(position - round(position)) < 1e-6 else position
        return category
    if kind == 'date':
        return _date_from_number
    from matplotlib.ticker import FixedFormatter, FixedLocator

    formatter = axis.get_major_formatter()
    if isinstance(formatter, FixedFormatter) or isinstance(axis.get_major_locator(), FixedLocator):
        # Ticks placed by the code (set_xticks/set_xticklabels, tick_label=, pandas bar plots):
        # a bar is named by the label of its tick, as the reader of the picture sees it.
        locations = [float(location) for location in axis.get_majorticklocs()]
        labels = [str(label) for label in formatter.format_ticks(locations)]
        gaps = [abs(later - earlier) for earlier, later in zip(locations, locations[1:]) if later != earlier]
        # A grouped bar sits beside its tick: the nearest tick within half the tick spacing.
        reach = min(gaps) / 2 if gaps else 0.5

        def tick_label(position):
            best = None
            for index, location in enumerate(locations):
                distance = abs(location - position)
                if distance <= reach and (best is None or distance < best[0]):
                    best = (distance, labels[index])
            return position if best is None or best[1] == '' else best[1]
        return tick_label
    return lambda position: position


# Rendering: JSON-ready values, sampled down to `limit` points per series.

def _render_axes(read, limit, truncated):
    axes = {'xScale': _chart_text(read['xScale'], truncated), 'yScale': _chart_text(read['yScale'], truncated)}
    for key in ('title', 'xLabel', 'yLabel'):
        if read[key]:
            axes[key] = _chart_text(read[key], truncated)
    axes['series'] = [_render_series(series, limit, truncated) for series in read['series']]
    if read['omitted']:
        axes['omittedSeries'] = read['omitted']
        truncated[0] = True
    return axes


def _render_series(read, limit, truncated):
    kind = read['kind']
    if kind == 'pie':
        wedges = []
        for label, fraction in read['wedges'][:_CHART_MAX_WEDGES]:
            # A NaN share (an all-zero pie) counts as none.
            wedge = {'fraction': min(1.0, max(0.0, fraction)) if fraction == fraction else 0.0}
            if _has_label(label):
                wedge['label'] = _chart_text(label, truncated)
            wedges.append(wedge)
        if len(read['wedges']) > _CHART_MAX_WEDGES:
            truncated[0] = True
        return {'kind': 'pie', 'wedges': wedges}
    keep = read['keep']
    chosen = keep[_sample(len(keep), limit)]
    sampled = len(chosen) < len(keep)
    if sampled:
        truncated[0] = True
    if kind == 'bar':
        namer = read['category']
        series = {'kind': 'bar', 'orientation': read['orientation'], 'bars': [
            {'category': _chart_value(namer(float(read['positions'][index])), truncated),
             'value': float(read['values'][index])} for index in chosen],
            'count': read['count'], 'sampled': sampled}
        dropped = read['count'] - len(keep)
    else:
        x, y = read['x'], read['y']
        if kind == 'line' and read['original'] is not None:
            xs = [_line_x(read, int(index), truncated) for index in chosen]
        elif kind == 'line' and read['xKind'] == 'date':
            xs = [_date_from_number(float(x[index])) for index in chosen]
        else:
            xs = x[chosen].tolist()
        series = {'kind': kind, 'x': xs, 'y': y[chosen].tolist(),
                  'points': read['points'], 'sampled': sampled}
        if sampled:
            kept = y[keep]
            series['yMin'], series['yMax'] = float(kept.min()), float(kept.max())
        dropped = read['points'] - len(keep)
    if dropped:
        series['nonFinite'] = dropped
    if _has_label(read['label']):
        series['label'] = _chart_text(read['label'], truncated)
    return series


def _line_x(read, index, truncated):
    original = read['original']
    if original is not None:
        value = original[index]
        if isinstance(value, (str, bytes)):
            return _chart_text(value if isinstance(value, str) else value.decode('utf-8', 'replace'), truncated)
        date = _date_text(value)
        if date is not None:
            return date
    number = float(read['x'][index])
    if read['xKind'] == 'date':
        return _date_from_number(number)
    return number


def _chart_value(value, truncated):
    if isinstance(value, str):
        return _chart_text(value, truncated)
    return float(value)


def _date_text(value):
    """An ISO 8601 string for a date-like value (datetime, numpy datetime64, pandas Timestamp or
    Period), or None for anything else."""
    import datetime

    if type(value).__name__ == 'Period' and hasattr(value, 'start_time'):
        value = value.start_time
    if type(value).__name__ == 'datetime64':
        item = value.astype('datetime64[us]').item()
        if not isinstance(item, datetime.datetime):
            return str(value)
        value = item
    if isinstance(value, datetime.datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return None


def _date_from_number(number):
    from matplotlib.dates import num2date

    try:
        return _date_text(num2date(number).replace(tzinfo=None))
    except (ValueError, OverflowError):
        return number


def _sample(count, limit):
    """Evenly spaced positions out of `count`, at most `limit`, keeping the first and the last."""
    import numpy

    if count <= limit:
        return numpy.arange(count)
    return numpy.unique(numpy.round(numpy.linspace(0, count - 1, limit)).astype(int))


def _has_label(label):
    # matplotlib names unlabelled artists '_child0', '_line0', '_nolegend_', ...
    return isinstance(label, str) and label != '' and not label.startswith('_')


def _chart_text(text, truncated=None):
    text = str(text)
    if len(text) <= _CHART_MAX_TEXT:
        return text
    if truncated is not None:
        truncated[0] = True
    return text[:_CHART_MAX_TEXT - 1] + '\u2026'


# plotly figures: their traces read into the same shapes as matplotlib's artists.

def _add_plotly_chart(header, figure):
    _add_chart(header, figure, _plotly_chart)


def _plotly_chart(figure):
    import numpy

    data = figure.to_dict()
    layout = data.get('layout') or {}
    x_axis = layout.get('xaxis') or {}
    y_axis = layout.get('yaxis') or {}
    series = []
    omitted = 0
    for trace in data.get('data') or []:
        if len(series) >= _CHART_MAX_SERIES:
            omitted += 1
            continue
        read = _plotly_trace(trace, numpy)
        if read is None:
            omitted += 1
        else:
            series.append(read)
    axes = {
        'title': '', 'xLabel': _plotly_text((x_axis.get('title') or {}).get('text')),
        'yLabel': _plotly_text((y_axis.get('title') or {}).get('text')),
        'xScale': x_axis.get('type') if x_axis.get('type') in ('log',) else 'linear',
        'yScale': y_axis.get('type') if y_axis.get('type') in ('log',) else 'linear',
        'series': series, 'omitted': omitted,
    }
    title = _plotly_text((layout.get('title') or {}).get('text'))
    return _fit_chart([axes], title, 1)


def _plotly_text(value):
    return value if isinstance(value, str) else ''


def _plotly_trace(trace, numpy):
    kind = trace.get('type') or 'scatter'
    label = trace.get('name') if isinstance(trace.get('name'), str) else ''
    if kind == 'pie':
        values = _floats(trace.get('values') if trace.get('values') is not None else [], numpy)
        labels = list(trace.get('labels') if trace.get('labels') is not None else range(len(values)))
        total = float(numpy.nansum(values)) if len(values) else 0.0
        return {'kind': 'pie', 'wedges': [
            (str(labels[i]) if i < len(labels) else '', float(values[i]) / total if total else 0.0)
            for i in range(len(values))]}
    if kind == 'bar':
        horizontal = trace.get('orientation') == 'h'
        categories = trace.get('y' if horizontal else 'x')
        values = trace.get('x' if horizontal else 'y')
        if values is None:
            return None
        values = _floats(values, numpy)
        categories = list(categories) if categories is not None else list(range(len(values)))
        positions = numpy.arange(len(values), dtype=float)
        keep = numpy.flatnonzero(numpy.isfinite(values))

        def category(position):
            index = int(round(position))
            value = categories[index] if 0 <= index < len(categories) else position
            date = _date_text(value)
            return date if date is not None else value if isinstance(value, (int, float, str)) else str(value)
        return {'kind': 'bar', 'label': label, 'orientation': 'horizontal' if horizontal else 'vertical',
                'positions': positions, 'values': values, 'keep': keep, 'category': category,
                'count': len(values)}
    if kind in ('scatter', 'scattergl'):
        y = trace.get('y')
        if y is None:
            return None
        y = _floats(y, numpy)
        x = trace.get('x')
        original = None
        if x is None:
            x = numpy.arange(len(y), dtype=float)
        else:
            try:
                x = _floats(x, numpy)
            except (TypeError, ValueError):
                original = list(x)
                x = numpy.arange(len(original), dtype=float)
        count = min(len(x), len(y))
        x, y = x[:count], y[:count]
        if original is not None:
            original = original[:count]
        keep = numpy.flatnonzero(numpy.isfinite(x) & numpy.isfinite(y))
        mode = trace.get('mode') or ''
        if mode == 'markers' and original is None:
            return {'kind': 'scatter', 'label': label, 'x': x, 'y': y, 'keep': keep, 'points': count}
        return {'kind': 'line', 'label': label, 'x': x, 'y': y, 'keep': keep, 'original': original,
                'xKind': 'category' if original is not None else 'number', 'points': count}
    return None
