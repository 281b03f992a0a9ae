// `meridian config check` and `meridian config defaults`: validate an agent config the way the
// agent will, without starting anything, and show the defaults every field falls back to.

import { stringify } from 'yaml';
import type { Command } from 'commander';
import { CONFIG_DEFAULTS, redactSecrets } from '../agent/config.js';
import { loadConfigFile } from '../agent/config-file.js';

export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('validate agent configuration and show defaults');

  config
    .command('check')
    .description('validate an agent config file and print it with every default filled in, passwords redacted (exit 2 if invalid)')
    .requiredOption('-c, --config <file>', 'agent config file (YAML or JSON)')
    .option('--json', 'print JSON instead of YAML')
    .action(async (opts: { config: string; json?: boolean }) => {
      const cfg = redactSecrets(await loadConfigFile(opts.config));
      process.stdout.write(opts.json === true ? JSON.stringify(cfg, null, 2) + '\n' : stringify(cfg));
    });

  config
    .command('defaults')
    .description('print the default value of every agent config field')
    .option('--json', 'print JSON instead of YAML')
    .action((opts: { json?: boolean }) => {
      process.stdout.write(opts.json === true ? JSON.stringify(CONFIG_DEFAULTS, null, 2) + '\n' : stringify(CONFIG_DEFAULTS));
    });
}
