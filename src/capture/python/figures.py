"""sandplot figures: matplotlib figures captured as a notebook shows them, and images sent back.

Part of the prelude module (wrap-code.ts joins prelude.py, this file, display.py and chart.py).
A figure is sent when the cell ends or calls plt.show() while it is open (as Jupyter's inline
backend does), when it is displayed, or, beyond Jupyter, when the code saved it with savefig and
closed it. A figure closed without being saved or shown is not sent. Each figure is sent once per
execution, with a tight bounding box by default (Jupyter's `bbox_inches='tight'`), then closed.
"""

_FIGURE_FILES_FOLDER = ('.sandplot', 'figures')
_EXTENSIONS = {'png': 'png', 'svg': 'svg', 'jpeg': 'jpg'}
_PAD_INCHES = 0.1


def _capture_open_figures(execution):
    """Sends the figures saved and closed so far, then the open ones (each once), and closes them."""
    pyplot = sys.modules.get('matplotlib.pyplot')
    open_figures = []
    if pyplot is not None:
        from matplotlib._pylab_helpers import Gcf

        managers = sorted(Gcf.get_all_fig_managers(), key=lambda manager: manager.num)
        open_figures = [manager.canvas.figure for manager in managers]
    open_ids = {id(figure) for figure in open_figures}
    saved = [figure for figure in execution.saved if id(figure) not in open_ids]
    for figure in saved + open_figures:
        if _was_delivered(execution, figure):
            if pyplot is not None and id(figure) in open_ids:
                pyplot.close(figure)
            continue
        _deliver_figure(execution, figure)
    execution.saved = [figure for figure in execution.saved if not _was_delivered(execution, figure)]
    if execution.saved_over:
        count, execution.saved_over = execution.saved_over, 0
        execution.problem(None, '%d more figure%s saved with savefig were not captured: over the limit of figures per call (maxFigures: %d)' % (
            count, '' if count == 1 else 's', execution.max_figures))


def _deliver_figure(execution, figure):
    """Sends one matplotlib figure under the next index and closes it in pyplot."""
    index = execution.take_index()
    execution.delivered.append(figure)
    try:
        _capture_figure(execution, index, figure)
    except Exception as error:
        execution.problem(index, 'figure %d could not be saved: %s' % (index + 1, _describe(error)))
    finally:
        pyplot = sys.modules.get('matplotlib.pyplot')
        if pyplot is not None:
            try:
                pyplot.close(figure)
            except Exception:
                pass


def _was_delivered(execution, figure):
    return any(figure is sent for sent in execution.delivered)


def _capture_figure(execution, index, figure):
    if index >= execution.max_figures:
        execution.problem(index, 'figure %d was not captured: over the limit of figures per call (maxFigures: %d)' % (
            index + 1, execution.max_figures))
        return
    limit = execution.max_side_pixels
    if limit is not None:
        # Checked before rendering: a 10000 px figure costs seconds and hundreds of MB to draw.
        width, height = (round(inches * execution.dpi) for inches in figure.get_size_inches())
        if max(width, height) > limit:
            execution.problem(index, 'figure %d would be %d×%d px, over the limit of %d px a side '
                              '(maxFigureSidePixels): make it smaller with figsize' % (index + 1, width, height, limit))
            return
    data = _render_figure(execution, figure)
    header = {'index': index, 'format': execution.format}
    title = _title(figure)
    if title:
        header['title'] = title
    if execution.chart:
        # _add_chart is in chart.py.
        _add_chart(header, figure)
    _send_image(execution, index, execution.format, data, header, figure)


def _send_image(execution, index, format, data, header, figure=None):
    """Sends encoded image bytes as figure `index`, within maxFigureBytes, by the transport."""
    if len(data) > execution.max_figure_bytes:
        execution.problem(index, 'figure %d is %s, over the limit of %s (maxFigureBytes)' % (
            index + 1, _size(len(data)), _size(execution.max_figure_bytes)))
        return
    header['index'] = index
    header['format'] = format
    size = _pixel_size(format, data, figure, execution.dpi)
    if size is not None:
        header['width'], header['height'] = size
    if execution.transport == 'files':
        _save_figure_file(execution, index, format, data)
        execution.emit('figure-file', header)
    else:
        execution.emit('figure', header, data)


def _render_figure(execution, figure):
    from io import BytesIO

    _state['capturing'] = True
    try:
        if execution.tight and execution.format in ('png', 'jpeg'):
            try:
                data = _render_cropped(figure, execution.format, execution.dpi)
            except MemoryError:
                raise
            except Exception:
                # The fast path is an optimisation: savefig below draws the figure its own way.
                data = None
            if data is not None:
                return data
        buffer = BytesIO()
        options = {'bbox_inches': 'tight', 'pad_inches': _PAD_INCHES} if execution.tight else {}
        figure.savefig(buffer, format=execution.format, dpi=execution.dpi, **options)
        return buffer.getvalue()
    finally:
        _state['capturing'] = False


def _render_cropped(figure, format, dpi):
    """The figure drawn once on its Agg canvas and cropped to what is drawn on it, plus the
    padding, or None when that cannot be told from the pixels: the drawing touches the canvas
    edge (a label may reach past it) or the background is not the figure's face colour. Then
    savefig(bbox_inches='tight') lays the figure out again. Same picture as savefig's tight box
    in one draw, without its layout pass over every artist."""
    from io import BytesIO

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = figure.canvas
    if type(canvas) is not FigureCanvasAgg:
        return None
    import numpy
    from matplotlib.colors import to_rgba
    from PIL import Image

    original_dpi = figure.dpi
    try:
        figure.dpi = dpi
        canvas.draw()
        pixels = numpy.asarray(canvas.buffer_rgba())
    finally:
        figure.dpi = original_dpi
    height, width = pixels.shape[:2]
    background = numpy.round(numpy.array(to_rgba(figure.get_facecolor())) * 255).astype(numpy.uint8)
    corners = pixels[[0, 0, -1, -1], [0, -1, 0, -1]]
    if not numpy.equal(corners, background).all():
        return None
    # One 32-bit compare per pixel: comparing the four channels and reducing them costs a
    # hundred times more on a large canvas. numpy.not_equal raises MemoryError where `!=`
    # would quietly answer a single bool.
    packed = numpy.ascontiguousarray(pixels).view(numpy.uint32).reshape(height, width)
    drawn = numpy.not_equal(packed, background.view(numpy.uint32)[0])
    rows = numpy.flatnonzero(drawn.any(axis=1))
    columns = numpy.flatnonzero(drawn.any(axis=0))
    if rows.size == 0:
        box = (0, 0, width, height)
    elif rows[-1] == height - 1 or columns[-1] == width - 1 or rows[0] == 0 or columns[0] == 0:
        return None
    else:
        pad = round(_PAD_INCHES * dpi)
        box = (max(0, int(columns[0]) - pad), max(0, int(rows[0]) - pad),
               min(width, int(columns[-1]) + 1 + pad), min(height, int(rows[-1]) + 1 + pad))
    image = Image.fromarray(pixels[box[1]:box[3], box[0]:box[2]], 'RGBA')
    buffer = BytesIO()
    if format == 'jpeg':
        # As matplotlib's print_jpg: transparency blended against white.
        background_image = Image.new('RGB', image.size, (255, 255, 255))
        background_image.paste(image, mask=image.getchannel('A'))
        background_image.save(buffer, format='jpeg', dpi=(dpi, dpi))
    else:
        image.save(buffer, format='png', dpi=(dpi, dpi))
    return buffer.getvalue()


def _save_figure_file(execution, index, format, data):
    base = _state['base']
    if base is None:
        raise OSError('the working directory was unreadable when sandplot was installed')
    # Absolute, so a user's os.chdir() does not move the file away from where the host looks.
    folder = os.path.join(base, *_FIGURE_FILES_FOLDER, execution.nonce)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, 'figure-%d.%s' % (index + 1, _EXTENSIONS[format]))
    with open(path, 'wb') as file:
        file.write(data)


def _patch_pyplot(pyplot):
    show = getattr(pyplot, 'show', None)
    if show is None or _is_ours(show):
        return
    original = _original(show)

    def show(*args, **kwargs):
        execution = _state['active']
        if execution is None or not execution.capture:
            return original(*args, **kwargs)
        _capture_open_figures(execution)
        return None

    pyplot.show = _wrapper(original, show, 'show')


def _patch_savefig(figure_module):
    figure_class = getattr(figure_module, 'Figure', None)
    savefig = getattr(figure_class, 'savefig', None)
    if savefig is None or _is_ours(savefig):
        return
    original = _original(savefig)

    def savefig(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        execution = _state['active']
        if execution is not None and execution.capture and not _state['capturing']:
            _remember_saved(execution, self)
        return result

    figure_class.savefig = _wrapper(original, savefig, 'savefig')


def _remember_saved(execution, figure):
    if _was_delivered(execution, figure) or any(figure is saved for saved in execution.saved):
        return
    # Held until sent; beyond what could be sent, only counted, so a loop of savefig calls does
    # not keep every figure alive.
    if len(execution.saved) + execution.next_index < execution.max_figures:
        execution.saved.append(figure)
    else:
        execution.saved_over += 1


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
    if figure is None:
        return None
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
