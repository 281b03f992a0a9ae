// The `meridian` command tree. Each subcommand registers itself from its own file; commander gives
// every one of them --help. Errors propagate to main.ts, which maps them to exit codes.

import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerAgentCommand } from './agent-command.js';
import { registerBgpCommand } from './bgp-command.js';
import { registerConfigCommand } from './config-command.js';
import { registerInstallCniCommand } from './install-cni-command.js';
import { registerLabCommand } from './lab-command.js';
import { registerPolicyCommand } from './policy-command.js';
import { registerStatusCommand } from './status-command.js';

export function buildProgram(): Command {
  const program = new Command('meridian')
    .description('BGP-routed L3 pod networking with NetworkPolicy for Kubernetes')
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerConfigCommand(program);
  registerAgentCommand(program);
  registerBgpCommand(program);
  registerStatusCommand(program);
  registerPolicyCommand(program);
  registerInstallCniCommand(program);
  registerLabCommand(program);
  // Subcommands inherit exitOverride only when it is set before they are added; set it again so
  // usage errors anywhere in the tree reach main.ts as CommanderError.
  for (const c of allCommands(program)) c.exitOverride();
  return program;
}

function allCommands(c: Command): Command[] {
  return c.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}
