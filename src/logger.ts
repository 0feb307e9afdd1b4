import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

/** JSON lines on stdout (pino); LOG_LEVEL picks the level. */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino({ level, base: { service: 'nephron' } });
}
