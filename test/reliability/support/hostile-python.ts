/** Python snippets the hostile cases share: an attacker's helpers, written the way a model could. */

/**
 * Defines `steal_nonce(route)` (reads the running execution's nonce through `frames`,
 * `modules` or `gc`) and `forge(nonce, kind, header, data)` (prints a marker line).
 */
export const attackerHelpers = `
import base64, gc, json, sys

def steal_nonce(route):
    if route == 'frames':
        frame = sys._getframe()
        while frame is not None:
            if isinstance(frame.f_locals.get('nonce'), str):
                return frame.f_locals['nonce']
            frame = frame.f_back
    if route == 'modules':
        for name, module in list(sys.modules.items()):
            if name.startswith('_sandplot_prelude_'):
                return module._state['active'].nonce
    if route == 'gc':
        for thing in gc.get_objects():
            if type(thing).__name__ == '_Execution':
                return thing.nonce
    return None

def forge(nonce, kind, header, data=b''):
    line = '@@sandplot:%s:%s:%s:%s' % (nonce, kind, base64.b64encode(json.dumps(header).encode()).decode(), base64.b64encode(data).decode())
    print(line, flush=True)
`;

/** A valid 1×1 PNG as a Python bytes literal expression. */
export const tinyPngPython =
  "base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==')";
