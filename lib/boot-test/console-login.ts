// Logs in on a booted machine's serial console and runs shell commands there, for checks of what
// only the running system can tell (the volumes LVM activated, what is mounted where). Each
// command's output is framed by markers the shell prints but the typed line does not contain
// (printf joins their halves), so the echo of the command line is never taken for its output.
import { consoleError, type SerialConsole } from './serial-console.js';

/** Who logs in, and what to run. */
export interface ConsoleLogin {
  user: string;
  password: string;
  /** Shell command lines, run one after the other. */
  commands: string[];
  /** For each step (the login, each command). */
  timeoutMs: number;
}

/** What one command printed (without carriage returns and its last newline) and its exit status. */
export interface ConsoleCommandResult {
  command: string;
  output: string;
  status: number;
}

/** bash's default prompt, user@host:folder followed by # or $. */
const PROMPT = /\w@[\w.-]+:[^\n]*[#$] /;

/** Logs in at the console's login prompt (it must have appeared) and runs `login.commands`. */
export async function loginAndRun(serial: SerialConsole, login: ConsoleLogin): Promise<ConsoleCommandResult[]> {
  const prompt = await serial.waitFor(/login: /, 0, login.timeoutMs);
  serial.type(`${login.user}\n`);
  const password = await serial.waitFor(/Password: /, prompt.end, login.timeoutMs);
  serial.type(`${login.password}\n`);
  const shell = await serial.waitFor(new RegExp(`${PROMPT.source}|Login incorrect`), password.end, login.timeoutMs);
  if (shell.match[0] === 'Login incorrect') throw consoleError(`console login as ${login.user} was refused`, serial.printed.slice(prompt.end));
  // Kernel messages would land in the middle of the commands' output.
  serial.type('dmesg -n 1 2>/dev/null; stty -echo\n');
  const results: ConsoleCommandResult[] = [];
  let from = shell.end;
  for (const [index, command] of login.commands.entries()) {
    const id = `KILN-${index + 1}`;
    serial.type(`printf '\\n%s-BEGIN\\n' ${id}; ${command}; printf '\\n%s-END %s\\n' ${id} "$?"\n`);
    const framed = new RegExp(`\\n${id}-BEGIN\\r?\\n([\\s\\S]*?)\\r?\\n${id}-END (\\d+)\\r?\\n`);
    const done = await serial.waitFor(framed, from, login.timeoutMs);
    results.push({ command, output: done.match[1]!.replace(/\r/g, '').replace(/\n$/, ''), status: Number(done.match[2]) });
    from = done.end;
  }
  serial.type('exit\n');
  return results;
}
