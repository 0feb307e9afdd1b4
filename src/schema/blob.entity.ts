import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Content-addressed bytes for the PostgreSQL blob store (src/data): key = sha256 hex of `data`. Not in GraphQL. */
@Entity({ name: 'blob' })
export class Blob {
  @PrimaryColumn({ type: 'text' })
  key: string;

  @Column({ type: 'bytea' })
  data: Buffer;

  @Column({ type: 'int' })
  size: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
