import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localBackend } from '../../src/backends/local.js';
import { CodeSandbox } from '../../src/sandbox/code-sandbox.js';
import { attempts, outcomes } from '../support/python-attempts.js';
import { recordCase } from './support/case-ledger.js';

// Hostile code trying to leave the sandbox: the network, the host's files, another session.

let sandbox: CodeSandbox;
let other: CodeSandbox;
let server: Server;
let port: number;
let connections = 0;

beforeAll(async () => {
  server = createServer((socket) => {
    connections++;
    socket.end('host secret');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  sandbox = new CodeSandbox({ backend: localBackend(), timeoutMs: 30_000 });
  other = new CodeSandbox({ backend: localBackend(), timeoutMs: 30_000 });
});

afterAll(async () => {
  await Promise.all([sandbox?.close(), other?.close()]);
  await new Promise((resolve) => server?.close(resolve));
});

describe('hostile: escapes', () => {
  test('network: the host loopback, the internet, DNS', async () => {
    const result = await sandbox.executePython(
      attempts({
        hostLoopback: `import socket; socket.create_connection(("127.0.0.1", ${port}), timeout=3).recv(100)`,
        internet: 'import socket; socket.create_connection(("1.1.1.1", 53), timeout=3)',
        dns: 'import socket; socket.gethostbyname("example.com")',
        udp: 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53))',
        interfaces: 'import socket; assert [name for _, name in socket.if_nameindex()] == ["lo"]',
      }),
    );
    const seen = outcomes(result.stdout);
    const escaped = ['hostLoopback', 'internet', 'dns', 'udp'].filter(
      (name) => seen[name] === 'ok',
    );
    recordCase({
      group: 'hostile',
      name: 'network escape: host loopback port, 1.1.1.1, DNS, UDP to 8.8.8.8',
      tried: 4,
      survived: 4 - escaped.length,
      lost: escaped.length + connections,
      outcome: `bwrap --unshare-net: only "lo" exists; ${JSON.stringify(seen)}; the host server saw ${connections} connections`,
    });
    expect(escaped).toEqual([]);
    expect(seen.interfaces).toBe('ok');
    expect(connections).toBe(0);
  });

  test("filesystem: the host's secrets, /proc/1/root, writes outside the work dir, another session", async () => {
    await other.executePython("open('other-secret.txt', 'w').write('mine')");
    const result = await sandbox.executePython(
      attempts({
        root: 'import os; os.listdir("/root")',
        shadow: 'open("/etc/shadow").read()',
        procRoot: 'open("/proc/1/root/etc/shadow").read()',
        hostProject: 'open("/work/main/package.json").read()',
        hostTmp: 'import glob; assert glob.glob("/tmp/sandplot-local-*") != []',
        otherSession:
          'import glob; assert glob.glob("/home/**/other-secret.txt", recursive=True) + glob.glob("/tmp/**/other-secret.txt", recursive=True) != []',
        writeUsr: 'open("/usr/evil", "w")',
        writeRoot: 'open("/evil", "w")',
        writeEtc: 'open("/etc/evil", "w")',
        mount:
          'import subprocess; subprocess.run(["mount", "-t", "tmpfs", "x", "/usr"], check=True, capture_output=True)',
        chroot: 'import os; os.chroot("/tmp")',
        setuid: 'import os; os.setuid(0)',
      }),
    );
    const seen = outcomes(result.stdout);
    const escaped = Object.entries(seen).filter(([, outcome]) => outcome === 'ok');
    recordCase({
      group: 'hostile',
      name: 'filesystem escape: /root, /etc/shadow, /proc/1/root, host /tmp, another session, writes, mount, chroot, setuid',
      tried: Object.keys(seen).length,
      survived: Object.keys(seen).length - escaped.length,
      lost: escaped.length,
      outcome: `mount namespace + read-only root + no capabilities + uid 65534: ${Object.entries(
        seen,
      )
        .map(([name, outcome]) => `${name} ${outcome}`)
        .join(', ')}`,
    });
    expect(escaped).toEqual([]);
    expect(Object.keys(seen)).toHaveLength(12);
  });
});
