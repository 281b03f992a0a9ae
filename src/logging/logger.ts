// Structured logging with pino: one JSON object per line on stderr (stdout stays free for the
// JSON that commands print). The level comes from config, and MERIDIAN_LOG_LEVEL overrides it so
// an operator can turn on debug logs without editing a ConfigMap.

import pino from 'pino';

export type Logger = pino.Logger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_LEVEL_ENV = 'MERIDIAN_LOG_LEVEL';

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

/** Environment beats config beats the default. An unknown env value is ignored, not fatal. */
export function resolveLogLevel(opts: {
  configLevel?: LogLevel | undefined;
  env: Readonly<Record<string, string | undefined>>;
}): LogLevel {
  const fromEnv = opts.env[LOG_LEVEL_ENV]?.trim().toLowerCase();
  if (fromEnv !== undefined && isLogLevel(fromEnv)) return fromEnv;
  return opts.configLevel ?? 'info';
}

export function createLogger(opts: { level: LogLevel; name?: string; destination?: number }): Logger {
  return pino(
    {
      level: opts.level,
      base: { name: opts.name ?? 'meridian' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // Synchronous writes: a crash or exit must not lose the line that explains it.
    pino.destination({ fd: opts.destination ?? 2, sync: true }),
  );
}
