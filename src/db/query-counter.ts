import type { Logger, QueryRunner } from 'typeorm';

/**
 * A TypeORM logger that counts statements (for tests asserting a constant number of queries) and forwards
 * errors and slow queries to a callback. Every statement, on PGlite or PostgreSQL, passes through `logQuery`.
 */
export class QueryCounter implements Logger {
  count = 0;
  /** Statements since the last `reset()`, when `record` is on. */
  statements: string[] = [];
  record = false;

  constructor(private readonly onWarn: (message: string) => void = () => {}) {}

  reset(): void {
    this.count = 0;
    this.statements = [];
  }

  logQuery(query: string, _parameters?: unknown[], _queryRunner?: QueryRunner): void {
    this.count++;
    if (this.record) this.statements.push(query);
  }
  logQueryError(error: string | Error, query: string): void {
    this.onWarn(`query failed: ${error instanceof Error ? error.message : error} — ${query.slice(0, 200)}`);
  }
  logQuerySlow(time: number, query: string): void {
    this.onWarn(`slow query (${time} ms): ${query.slice(0, 200)}`);
  }
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.onWarn(String(message));
  }
}
