// The service's configuration file, in the INI shape IMG's /etc/imger/img.conf had: `key =
// value` lines (`key: value` too), `#` or `;` comments, and `[sections]`. Settings may sit in
// any section (or none); the `[tokens]` section maps user names to their API tokens.
import { ConfigError } from '../errors.js';

/** One `key = value` line and where it was. */
export interface ConfigEntry {
  key: string;
  value: string;
  section: string;
  line: number;
}

/** Parses the file's text; a line that is neither a section, a setting nor a comment is an error. */
export function parseConfigText(text: string, file: string): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  let section = '';
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1]!.trim().toLowerCase();
      return;
    }
    const setting = /^([A-Za-z0-9_.-]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!setting) {
      throw new ConfigError(`line ${index + 1}: expected "key = value", got "${line}"`, file, 'see `kiln-server --help` for the settings');
    }
    entries.push({ key: setting[1]!, value: unquote(setting[2]!.trim()), section, line: index + 1 });
  });
  return entries;
}

function unquote(value: string): string {
  const quoted = /^(["'])(.*)\1$/.exec(value);
  return quoted ? quoted[2]! : value;
}
