// Python that attacks the local backend's session server from the user's code: the server runs
// in the same interpreter, so its request handlers can be found and replaced.

/**
 * Python that replaces the session server's handler for `op` (`run`, `read`, `write`,
 * `remove`) with `replacement`: `'hang'` (ignores SIGINT and sleeps for an hour) or
 * `'silent-run'` (runs cells but never writes their end tokens). It finds the handlers the way
 * hostile code could: by walking up the stack to the server's loop.
 */
export function replaceServerHandler(op: string, replacement: 'hang' | 'silent-run'): string {
  return `import signal, sys, time
def _server_handlers():
    frame = sys._getframe()
    while frame is not None and frame.f_code.co_name != '_serve':
        frame = frame.f_back
    return frame.f_locals['handlers']
def _hang(request):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    time.sleep(3600)
def _silent_run(request, run=_server_handlers()['run']):
    return run(dict(request, token=''))
_server_handlers()[${JSON.stringify(op)}] = ${replacement === 'hang' ? '_hang' : '_silent_run'}
print('replaced')`;
}
