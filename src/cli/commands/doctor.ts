// corral doctor [--json]: what this machine allows, and for each containment level whether it
// can be used here, why not, and the fix.
import { styleText } from 'node:util';
import { atLeast, type Capabilities, capabilities, type LevelCapability } from '../../kernel/capabilities.js';
import { limitControllers } from '../../kernel/cgroup.js';
import { parseOptions } from '../args.js';
import { controlCodes } from '../exit-codes.js';
import type { Outcome } from '../outcome.js';
import { UsageError } from '../usage-error.js';

export const doctorUsage = `usage: corral doctor [--json]

Reports what this machine allows this user: kernel, pidfd, cgroup v2 mounts and
a delegated group, its controllers, cgroup.kill, user + pid namespaces (tried,
not guessed) and Landlock; then, for each containment level (track, cgroup,
sandbox), whether it is available, why not, and the fix.

      --json    print the capabilities() object instead
  -h, --help    show this help

Exit status: 0 report printed (whatever it says); 2 bad usage; 4 system error.`;

const options = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function doctorCommand(argv: readonly string[]): Promise<Outcome> {
  const { values, rest } = parseOptions('doctor', argv, options);
  if (values.help) return { status: controlCodes.done, text: `${doctorUsage}\n` };
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`, 'usage: corral doctor [--json]');
  const caps = await capabilities();
  if (values.json) return { status: controlCodes.done, json: caps };
  return { status: controlCodes.done, text: formatReport(caps) };
}

// Colour only for a person: a terminal on stdout and no NO_COLOR (https://no-color.org: set and not empty).
const colour = process.stdout.isTTY === true && !process.env.NO_COLOR;

function paint(style: 'bold' | 'dim' | 'green' | 'red', text: string): string {
  return colour ? styleText(style, text, { validateStream: false }) : text;
}

const mark = (ok: boolean): string => (ok ? paint('green', '✓') : paint('red', '✗'));

function formatReport(caps: Capabilities): string {
  const found = reportItems(caps);
  const width = Math.max(...found.map((i) => i.label.length));
  const lines = found.map((i) => `${mark(i.ok)} ${i.label.padEnd(width)}  ${i.text}`);
  lines.push('', paint('bold', 'Levels'));
  for (const name of ['track', 'cgroup', 'sandbox'] as const) lines.push(...formatLevel(name, caps.levels[name]));
  const auto = caps.levels.cgroup.machine ? 'cgroup' : 'track';
  lines.push(
    '',
    `auto picks ${paint('bold', auto)}; the sandbox only when asked for (--sandbox, --no-network, --read-only)`,
  );
  return `${lines.join('\n')}\n`;
}

interface Item {
  ok: boolean;
  label: string;
  text: string;
}

function reportItems(caps: Capabilities): Item[] {
  const { cgroup, reaper, userns, landlock } = caps;
  const item = (ok: boolean, label: string, text: string): Item => ({ ok, label, text });
  // Without the reaper nothing was tried: say so rather than "failed".
  const tried = (text: string): string => (reaper.error === undefined ? text : 'not tried (no corral-reaper)');
  const missing = limitControllers.filter((c) => !cgroup.controllers.includes(c));
  const where = cgroup.delegated.path ?? 'no group';
  const have =
    missing.length === 0 ? 'all' : cgroup.controllers.length === 0 ? 'none' : `only ${cgroup.controllers.join(', ')}`;
  const mounts = cgroup.mounts.map((m) => `${m.path} (${m.kind})`).join(', ');
  return [
    item(reaper.error === undefined, 'corral-reaper', reaper.error ?? String(reaper.path)),
    item(atLeast(caps.kernel.version, 5, 3), 'kernel', `${caps.kernel.release} (corral needs ≥ 5.3)`),
    item(caps.pidfd, 'pidfd', caps.pidfd ? 'pidfd_open() works' : tried('pidfd_open() failed')),
    item(
      mounts !== '',
      'cgroup v2',
      mounts === '' ? 'not mounted' : `${mounts}; this process is in ${cgroup.own ?? '?'}`,
    ),
    item(
      cgroup.delegated.writable,
      'delegated group',
      cgroup.delegated.writable ? `${cgroup.delegated.path} is writable` : (cgroup.delegated.reason ?? 'none'),
    ),
    item(missing.length === 0, 'controllers', `${have} of ${limitControllers.join(', ')} in ${where}`),
    item(cgroup.cgroupKill, 'cgroup.kill', cgroup.cgroupKill ? 'present' : 'absent (Linux < 5.14)'),
    // Only where it matters: a user manager is how a user without a writable group gets one.
    ...(cgroup.delegated.writable
      ? []
      : [
          item(
            cgroup.userManager,
            'systemd user manager',
            cgroup.userManager ? 'answers' : 'none answers for this user',
          ),
        ]),
    item(
      userns.allowed,
      'user + pid namespaces',
      userns.allowed ? 'allowed (tried)' : tried(`refused: ${userns.errno}`),
    ),
    item(
      landlock.abi !== null,
      'Landlock',
      landlock.abi === null ? tried(`absent: ${landlock.errno}`) : `ABI ${landlock.abi}`,
    ),
  ];
}

function formatLevel(name: string, level: LevelCapability): string[] {
  const ok = level.machine && level.implemented;
  const summary = ok
    ? 'available'
    : level.machine
      ? 'not in this version of corral; this machine could run it'
      : 'not available';
  const indent = ' '.repeat(2 + 9);
  const lines = [`${mark(ok)} ${paint('bold', name.padEnd(8))} ${summary}`];
  if (!level.machine && level.why) lines.push(`${indent}${paint('dim', 'why:')} ${level.why}`);
  if (level.fix) lines.push(`${indent}${paint('dim', 'fix:')} ${level.fix}`);
  if (level.note) lines.push(`${indent}${paint('dim', 'note:')} ${level.note}`);
  return lines;
}
