// Reads the agent config file; everything else about config is pure and lives in config.ts.

import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ConfigError, parseConfig, type AgentConfig } from './config.js';

export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ConfigError(path, [{ field: '', message: `cannot read: ${why}` }]);
  }
  return parseConfig(text, { source: path, env, hostname: hostname() });
}
