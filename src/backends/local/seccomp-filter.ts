import type { ChildProcess, IOType } from 'node:child_process';
import { endianness } from 'node:os';
import type { Writable } from 'node:stream';

/**
 * How the sandbox keeps its code from creating user namespaces of its own (in one, the code
 * holds every capability again and can mount): bubblewrap's `--disable-userns` (0.8.0 and
 * later), else the seccomp filter refuses `clone` and `unshare` with `CLONE_NEWUSER` (and
 * `clone3`, whose flags a filter cannot read).
 */
export type UserNamespaceGuard = 'bwrap' | 'seccomp';

/** The file descriptor bubblewrap reads the filter from (`--seccomp 5`). */
export const SECCOMP_FD = 5;

interface ArchitectureSyscalls {
  /** AUDIT_ARCH_* of the architecture; any other ABI (i386 on x86-64) is killed. */
  audit: number;
  /** x32 system calls carry this bit on x86-64; they are killed too. */
  foreignBit?: number;
  /** Memory the code could hold outside RLIMIT_AS: memfd_create, memfd_secret, SysV IPC. */
  memory: number[];
  clone: number;
  unshare: number;
  clone3: number;
}

// From the kernel's syscall tables (arch/x86/entry/syscalls/syscall_64.tbl, and
// include/uapi/asm-generic/unistd.h for arm64): memfd_create, memfd_secret, shmget, msgget, semget.
const ARCHITECTURES: Partial<Record<NodeJS.Architecture, ArchitectureSyscalls>> = {
  x64: {
    audit: 0xc000003e,
    foreignBit: 0x40000000,
    memory: [319, 447, 29, 68, 64],
    clone: 56,
    unshare: 272,
    clone3: 435,
  },
  arm64: {
    audit: 0xc00000b7,
    memory: [279, 447, 194, 186, 190],
    clone: 220,
    unshare: 97,
    clone3: 435,
  },
};

const CLONE_NEWUSER = 0x10000000;
const EPERM = 1;
const ENOSYS = 38;

// Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
const LOAD_WORD = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JUMP_IF_EQUAL = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JUMP_IF_AT_LEAST = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const JUMP_IF_BITS = 0x45; // BPF_JMP | BPF_JSET | BPF_K
const RETURN = 0x06; // BPF_RET | BPF_K
const ALLOW = 0x7fff0000;
const ERRNO = 0x00050000;
const KILL_PROCESS = 0x80000000;
// Offsets in struct seccomp_data: nr, arch, then args[0] (its low 32 bits, little-endian).
const SYSCALL_NUMBER = 0;
const ARCHITECTURE = 4;
const FIRST_ARGUMENT = 16;

type Target = 'refuse' | 'unsupported' | 'kill' | 'checkFlags';
interface Instruction {
  code: number;
  k: number;
  /** Where a jump goes when its test holds: a target, or how many instructions it skips. */
  jumpIfTrue?: Target | number;
}

/**
 * The seccomp program bubblewrap installs in the sandbox (raw `struct sock_filter` entries),
 * or undefined on an architecture sandplot has no system call numbers for. It refuses with
 * EPERM what would let the code hold memory that RLIMIT_AS does not count and no tmpfs size
 * bounds (`memfd_create`, `memfd_secret`, SysV shared memory, message queues and semaphores);
 * with the `'seccomp'` guard, also new user namespaces. Everything else is allowed.
 */
export function seccompProgram(
  guard: UserNamespaceGuard,
  architecture: NodeJS.Architecture = process.arch,
): Buffer | undefined {
  const syscalls = ARCHITECTURES[architecture];
  if (syscalls === undefined || endianness() !== 'LE') return undefined;
  const program: Instruction[] = [
    { code: LOAD_WORD, k: ARCHITECTURE },
    // Jumps go forward only; a test that fails falls through to the next instruction.
    { code: JUMP_IF_EQUAL, k: syscalls.audit, jumpIfTrue: 1 },
    { code: RETURN, k: KILL_PROCESS },
    { code: LOAD_WORD, k: SYSCALL_NUMBER },
  ];
  if (syscalls.foreignBit !== undefined) {
    program.push({ code: JUMP_IF_AT_LEAST, k: syscalls.foreignBit, jumpIfTrue: 'kill' });
  }
  for (const number of syscalls.memory) {
    program.push({ code: JUMP_IF_EQUAL, k: number, jumpIfTrue: 'refuse' });
  }
  if (guard === 'seccomp') {
    program.push(
      { code: JUMP_IF_EQUAL, k: syscalls.clone3, jumpIfTrue: 'unsupported' },
      { code: JUMP_IF_EQUAL, k: syscalls.clone, jumpIfTrue: 'checkFlags' },
      { code: JUMP_IF_EQUAL, k: syscalls.unshare, jumpIfTrue: 'checkFlags' },
    );
  }
  program.push({ code: RETURN, k: ALLOW });
  const targets: Partial<Record<Target, number>> = {};
  if (guard === 'seccomp') {
    targets.checkFlags = program.length;
    program.push(
      { code: LOAD_WORD, k: FIRST_ARGUMENT },
      { code: JUMP_IF_BITS, k: CLONE_NEWUSER, jumpIfTrue: 'refuse' },
      { code: RETURN, k: ALLOW },
    );
  }
  targets.refuse = program.length;
  program.push({ code: RETURN, k: ERRNO | EPERM });
  targets.unsupported = program.length;
  program.push({ code: RETURN, k: ERRNO | ENOSYS });
  targets.kill = program.length;
  program.push({ code: RETURN, k: KILL_PROCESS });
  return encode(program, targets);
}

function encode(program: Instruction[], targets: Partial<Record<Target, number>>): Buffer {
  const bytes = Buffer.alloc(program.length * 8);
  program.forEach((instruction, index) => {
    const jump = instruction.jumpIfTrue ?? 0;
    const jumpIfTrue = typeof jump === 'number' ? jump : (targets[jump] as number) - index - 1;
    const offset = index * 8;
    bytes.writeUInt16LE(instruction.code, offset);
    bytes.writeUInt8(jumpIfTrue, offset + 2);
    bytes.writeUInt8(0, offset + 3);
    bytes.writeUInt32LE(instruction.k >>> 0, offset + 4);
  });
  return bytes;
}

/**
 * `stdio` padded to `SECCOMP_FD` with a pipe there when there is a program to send; bubblewrap
 * reads the program from it and closes it before the sandboxed code starts.
 */
export function stdioWithSeccomp(stdio: IOType[], program: Buffer | undefined): IOType[] {
  if (program === undefined) return stdio;
  const padded = [...stdio];
  while (padded.length < SECCOMP_FD) padded.push('ignore');
  padded[SECCOMP_FD] = 'pipe';
  return padded;
}

/** Writes the program into the pipe `stdioWithSeccomp` made, and closes it. */
export function sendSeccompProgram(child: ChildProcess, program: Buffer | undefined): void {
  if (program === undefined) return;
  const pipe = (child.stdio as unknown as (Writable | null | undefined)[])[SECCOMP_FD];
  // A bubblewrap that died at once closes its end; its exit says why.
  pipe?.on('error', () => undefined);
  pipe?.end(program);
}
