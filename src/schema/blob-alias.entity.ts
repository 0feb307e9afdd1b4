import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A name for a content-addressed blob: caches whose key is known before the bytes are (constraint maps keyed by
 * series data hash + parameters, later checkpoints). The blob itself lives in whichever BlobStore the server uses
 * (files or the `blob` table); this row lives in the database so every machine sharing it sees the same names.
 */
@Entity({ name: 'blob_alias' })
export class BlobAlias {
  @PrimaryColumn({ type: 'text' })
  name: string;

  /** sha256 hex key in the blob store. */
  @Column({ type: 'text' })
  blobKey: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
